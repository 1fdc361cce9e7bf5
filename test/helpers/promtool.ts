/**
 * Runs the real promtool (Debian's prometheus package), with an optional
 * stdin, e.g. `promtool check metrics` reading an exposition.
 */
import { spawn } from 'node:child_process';

const PROMTOOL_TIMEOUT_MS = 30_000;

export interface PromtoolResult {
  /** promtool's exit code: 0 ok, 1 an error, 3 lint problems (check metrics). */
  code: number;
  /** stdout and stderr together. */
  output: string;
}

export function runPromtool(
  args: readonly string[],
  stdin = ''
): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: PROMTOOL_TIMEOUT_MS,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.once('error', err => {
      reject(
        new Error(
          `cannot run promtool ${args.join(' ')}: ${err.message} (apt-get install -y prometheus)`,
          { cause: err }
        )
      );
    });
    child.once('close', code => resolve({ code: code ?? 1, output }));
    child.stdin.end(stdin);
  });
}
