/**
 * The `run:` steps whose tool cannot come the workflow's way here, by step id, with what does the
 * same work on this machine and why. Where only one command of a step is missing (k6 inside the
 * replica watch), only that command is replaced and the rest of the step runs as written. Every
 * other `run:` step runs as it is written.
 */
import { spawnSync } from 'node:child_process';

/** A stand-in for one step, and when it applies. */
export interface LocalCommand {
  /** Step ids it stands in for. */
  ids: string[];
  /** True when the step's own tool is missing here (the step then runs as written otherwise). */
  applies: () => boolean;
  /** The script that runs instead, from the step's own (expressions already filled in). */
  script: (written: string) => string;
  why: string;
}

const missing = (program: string) => (): boolean =>
  spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status !== 0;

/** `k6 run …` to the end of its line: the k6 steps' one k6 command. */
const K6_RUN = /\bk6 run\b[^\n]*/g;
const LOCAL_RUNNER = 'npm run -s loadtest:local -- --scenario "$SCENARIO" --url "$BASE_URL" --out "$SUMMARY_DIR"';

export const LOCAL_COMMANDS: LocalCommand[] = [
  {
    ids: ['download-actionlint'],
    // GitHub's raw files are out of reach here: the same tagged release from the Go module proxy.
    applies: () => true,
    script: () => 'GOBIN="$PWD" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"',
    why: 'actionlint built from the Go module proxy at the same version (GitHub is out of reach)',
  },
  {
    ids: ['k6'],
    applies: missing('k6'),
    script: (written) => written.replace(K6_RUN, LOCAL_RUNNER),
    why:
      'the local load runner in place of `k6 run`, with the same scenario, target and credentials (k6 is not ' +
      'installed here)',
  },
  {
    ids: ['load-image'],
    // kind copies the archive into its node container; this cluster's node is this machine.
    applies: missing('kind'),
    script: () => 'bash k8s/cluster/load-image.sh "$LOCAL"',
    why:
      "k8s/cluster/load-image.sh copies the image into the node's containerd (kind is not installed: the cluster " +
      "is npm run cluster:up's)",
  },
  {
    ids: ['export-logs'],
    applies: missing('kind'),
    // The same folder the upload step archives: the daemons' logs and the cluster's events.
    script: () =>
      '. k8s/cluster/lib.sh && mkdir -p kind-logs && cp -r "$LOGS" kind-logs/cluster && kubectl get events -A > ' +
      'kind-logs/events.txt',
    why:
      "the cluster's daemon logs and events into kind-logs/ (kind is not installed: the cluster is npm run " +
      "cluster:up's)",
  },
];

/** The stand-in for a step, when one applies. */
export function localCommandFor(stepId: string | undefined): LocalCommand | undefined {
  return stepId === undefined ? undefined : LOCAL_COMMANDS.find((c) => c.ids.includes(stepId) && c.applies());
}
