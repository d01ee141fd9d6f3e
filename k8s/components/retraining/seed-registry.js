// Seeds the model registry on the volume (the PVC) from the image's own registry, so that API pods
// serve the released models at once and the training Job gates against them.
//
//   node seed-registry.js <image registry> <volume registry>
//
// The volume records in seeded-from.json the image registry it was last seeded from (the name,
// version and sha256 of every promoted model: the image's model provenance, as its
// io.mlship.models label records it). While the image's provenance is unchanged, a model with a
// promoted version on the volume is left as it is: a version the Job promoted stays. When the
// image's provenance differs (a release whose models changed, or a rollback to an older image),
// every model's `current` is replaced with the image's, so the pods serve what the image's label
// records and a deploy's lineage check holds. Every step publishes atomically, so pods that seed
// at the same time, or a Job promoting meanwhile, never see a half-written version or pointer.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const VERSION = /^[0-9a-f]{12}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** On the volume: the provenance of the image registry it was last seeded from. */
const SEEDED_FROM = 'seeded-from.json';

/** A hidden name in `dir` that no registry command reads or sweeps. */
function stagingName(dir) {
  return path.join(dir, `.seed-${crypto.randomBytes(6).toString('hex')}`);
}

/** Writes `content` to `file` unless it exists (link() never replaces, unlike rename()). */
function writeIfAbsent(file, content) {
  const staged = stagingName(path.dirname(file));
  fs.writeFileSync(staged, content, { flush: true });
  try {
    fs.linkSync(staged, file);
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(staged, { force: true });
  }
}

/** Writes `content` to `file` in one rename: readers see the old file or the new one. */
function replaceFile(file, content) {
  const staged = stagingName(path.dirname(file));
  try {
    fs.writeFileSync(staged, content, { flush: true });
    fs.renameSync(staged, file);
  } finally {
    fs.rmSync(staged, { force: true });
  }
}

/** Copies one version directory into place in one rename; leaves an existing one untouched. */
function copyVersion(from, to) {
  if (fs.existsSync(to)) return;
  const staged = stagingName(path.dirname(to));
  fs.cpSync(from, staged, { recursive: true });
  try {
    fs.renameSync(staged, to);
  } catch (error) {
    // Another pod published the same version first: identical content, keep theirs.
    if (!['EEXIST', 'ENOTEMPTY'].includes(error.code)) throw error;
  } finally {
    fs.rmSync(staged, { recursive: true, force: true });
  }
}

/** The image's promoted models, sorted by name: [{ name, version, sha256 }]. */
function provenance(source) {
  const names = fs
    .readdirSync(source, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(source, d.name, 'current')))
    .map((d) => d.name)
    .sort();
  if (names.length === 0) throw new Error(`${source} has no promoted model to seed from`);
  return names.map((name) => {
    const pointer = path.join(source, name, 'current');
    const version = fs.readFileSync(pointer, 'utf8').trim();
    if (!VERSION.test(version)) throw new Error(`${pointer} holds "${version.slice(0, 40)}", not a version id`);
    const file = path.join(source, name, version, 'model.json');
    const { sha256 } = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw new Error(`${file} records no sha256`);
    return { name, version, sha256 };
  });
}

/** The recorded provenance text on the volume, or undefined on a volume never seeded with one. */
function seededFrom(target) {
  const file = path.join(target, SEEDED_FROM);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

/** Publishes the image's version of one model and points `current` at it; returns the log line. */
function seedModel(source, target, model, imageChanged) {
  const { name, version } = model;
  const promoted = path.join(target, name, 'current');
  const served = fs.existsSync(promoted) ? fs.readFileSync(promoted, 'utf8').trim() : undefined;
  if (served !== undefined && (served === version || !imageChanged))
    return `${name}: ${target} already serves ${served}; left as it is`;
  fs.mkdirSync(path.join(target, name), { recursive: true });
  copyVersion(path.join(source, name, version), path.join(target, name, version));
  const history = path.join(target, name, 'history');
  if (served === undefined) {
    writeIfAbsent(history, `${version}\n`);
    return writeIfAbsent(promoted, `${version}\n`)
      ? `${name}: seeded ${version} from ${source}`
      : `${name}: promoted meanwhile; left as it is`;
  }
  replaceFile(promoted, `${version}\n`);
  const entries = fs.existsSync(history) ? fs.readFileSync(history, 'utf8').split('\n').filter(Boolean) : [];
  if (entries[entries.length - 1] !== version) replaceFile(history, [...entries, version].join('\n') + '\n');
  return `${name}: the image's models changed; ${target} served ${served}, now serves the image's ${version}`;
}

/** Seeds every model of `source` into `target` (see the top of this file); returns log lines. */
function seed(source, target) {
  const image = provenance(source);
  const record = JSON.stringify(image);
  const recorded = seededFrom(target);
  // A volume seeded before seeded-from.json existed has no record: its provenance is unknown, so
  // it is treated as another image's.
  const imageChanged = recorded !== record;
  const lines = image.map((model) => seedModel(source, target, model, imageChanged));
  // Last: a seed killed before this line leaves the old record, and the next pod seeds again.
  if (imageChanged) replaceFile(path.join(target, SEEDED_FROM), `${record}\n`);
  return lines;
}

if (require.main === module) {
  const [source, target] = process.argv.slice(2);
  try {
    if (!source || !target) throw new Error('usage: node seed-registry.js <image registry> <volume registry>');
    for (const line of seed(source, target)) console.log(line);
  } catch (error) {
    console.error(`seed-registry: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

module.exports = { seed, SEEDED_FROM };
