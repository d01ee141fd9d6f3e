/**
 * The `run:` steps whose tool cannot come the workflow's way here, by step id, with the command
 * that does the same work on this machine and why. Every other `run:` step runs as it is written.
 */
import { spawnSync } from 'node:child_process';

/** A stand-in command for one step, and when it applies. */
export interface LocalCommand {
  /** Step ids it stands in for. */
  ids: string[];
  /** True when the step's own tool is missing here (the step then runs as written otherwise). */
  applies: () => boolean;
  script: string;
  why: string;
}

const missing = (program: string) => (): boolean => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status !== 0;

export const LOCAL_COMMANDS: LocalCommand[] = [
  {
    ids: ['download-actionlint'],
    // GitHub's raw files are out of reach here: the same tagged release from the Go module proxy.
    applies: () => true,
    script: 'GOBIN="$PWD" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"',
    why: 'actionlint built from the Go module proxy at the same version (GitHub is out of reach)',
  },
  {
    ids: ['k6'],
    applies: missing('k6'),
    script: 'mkdir -p "$SUMMARY_DIR" && npm run -s loadtest:local -- --scenario "$SCENARIO" --url "$BASE_URL" --out "$SUMMARY_DIR"',
    why: 'the local load runner with the same scenario, target and credentials (k6 is not installed here)',
  },
];

/** The stand-in for a step, when one applies. */
export function localCommandFor(stepId: string | undefined): LocalCommand | undefined {
  return stepId === undefined ? undefined : LOCAL_COMMANDS.find((c) => c.ids.includes(stepId) && c.applies());
}
