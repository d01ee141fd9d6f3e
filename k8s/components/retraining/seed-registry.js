// Seeds an empty model registry (the PVC) from the image's own registry, so that API pods on a
// fresh volume serve the released models at once and the training Job gates against them.
//
//   node seed-registry.js <image registry> <volume registry>
//
// Only models with no promoted version on the volume are copied, and nothing there is ever
// replaced: a version the Job promoted stays. Every step publishes atomically, so pods that seed
// at the same time, or a Job promoting meanwhile, never see a half-written version or pointer.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const VERSION = /^[0-9a-f]{12}$/;

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

/** Seeds every model of `source` that `target` has no promoted version of; returns log lines. */
function seed(source, target) {
  const lines = [];
  const names = fs.readdirSync(source, { withFileTypes: true }).filter((d) => d.isDirectory() && fs.existsSync(path.join(source, d.name, 'current')));
  if (names.length === 0) throw new Error(`${source} has no promoted model to seed from`);
  for (const { name } of names) {
    const promoted = path.join(target, name, 'current');
    if (fs.existsSync(promoted)) {
      lines.push(`${name}: ${target} already serves ${fs.readFileSync(promoted, 'utf8').trim()}; left as it is`);
      continue;
    }
    const version = fs.readFileSync(path.join(source, name, 'current'), 'utf8').trim();
    if (!VERSION.test(version)) throw new Error(`${path.join(source, name, 'current')} holds "${version.slice(0, 40)}", not a version id`);
    fs.mkdirSync(path.join(target, name), { recursive: true });
    copyVersion(path.join(source, name, version), path.join(target, name, version));
    writeIfAbsent(path.join(target, name, 'history'), `${version}\n`);
    const seeded = writeIfAbsent(promoted, `${version}\n`);
    lines.push(seeded ? `${name}: seeded ${version} from ${source}` : `${name}: promoted meanwhile; left as it is`);
  }
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

module.exports = { seed };
