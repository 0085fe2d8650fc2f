import {
  type JobContext,
  job,
  param,
  project,
  type ShOptions,
} from '@river/sdk';

// Tasks written as an attacker would, each trying to get out of its bwrap
// sandbox. The test reads how each ended from the run's events; every task
// may fail, so that the run itself succeeds.

/** Host files the tasks try to read, separated by spaces. */
const hostFiles = param.string('hostFiles');
/** Host paths the tasks try to create, separated by spaces. */
const hostTargets = param.string('hostTargets');
/** A file name the tasks write in /tmp, which must not reach the host's. */
const tmpName = param.string('tmpName');
/** A port the test listens on at 127.0.0.1. */
const port = param.number('port');
/** Part of the command line of the sleepers the tasks try to leave. */
const marker = param.string('marker');

function attempt(ctx: JobContext, command: string, options: ShOptions = {}) {
  return ctx.sh(command, { check: false, ...options });
}

const readHost = job('read-host', (ctx) =>
  attempt(
    ctx,
    `for f in ${ctx.param(hostFiles)}; do ` +
      'cat "$f" 2>/dev/null && echo "read $f" || echo "refused $f"; done; ' +
      'ls /root /home /work /proc/1/root/root 2>&1 | head -n 4',
  ),
);

const writeOutside = job('write-outside', (ctx) =>
  attempt(
    ctx,
    `for f in ${ctx.param(hostTargets)} /x /usr/x /etc/x /workspace/../x; do ` +
      '(echo pwned > "$f") 2>/dev/null && echo "wrote $f"; done; ' +
      'mkdir -p /proc/self/root/escape 2>/dev/null && echo "made a dir"; ' +
      // /tmp is the task's own, inside its workspace.
      `echo pwned > /tmp/${ctx.param(tmpName)} && echo "wrote its /tmp"; ` +
      'echo done',
  ),
);

/** Connects to the test's port and says who it is; prints how it went. */
function knock(who: string, portNumber: number): string {
  return (
    "node -e \"const s = require('net').connect(" +
    `${portNumber}, '127.0.0.1', () => { s.end('${who}'); ` +
    "console.log('connected') }); s.on('error', (e) => " +
    'console.log(e.code)); setTimeout(() => process.exit(0), 3000)"'
  );
}

const reachPort = job('reach-port', (ctx) =>
  attempt(ctx, knock('without-network', ctx.param(port))),
);

const reachPortWithNetwork = job('reach-port-network', (ctx) =>
  attempt(ctx, knock('with-network', ctx.param(port)), { network: true }),
);

const readEnvironment = job('read-env', (ctx) =>
  attempt(
    ctx,
    'env; for p in /proc/[0-9]*; do tr "\\0" "\\n" < $p/environ; done; ' +
      'ls /proc | grep -c "^[0-9]"',
    { env: { GIVEN: 'yes' } },
  ),
);

const leaveBehind = job('leave-behind', (ctx) =>
  attempt(
    ctx,
    `setsid sleep ${ctx.param(marker)}1 & ` +
      `(nohup sleep ${ctx.param(marker)}2 >/dev/null 2>&1 &); ` +
      'echo started',
  ),
);

const writeOutput = job('write-output', (ctx) =>
  attempt(
    ctx,
    'mkdir -p out && id -u > out/who && ln -s /etc/passwd out/link',
    {
      outputs: ['out/who'],
    },
  ),
);

const askDocker = job('ask-docker', (ctx) =>
  attempt(ctx, 'echo ran', { runner: 'docker', image: 'busybox' }),
);

const processRunner = job('process-runner', (ctx) =>
  attempt(
    ctx,
    `for f in ${ctx.param(hostFiles)}; do ` +
      'cat "$f" >/dev/null 2>&1 && echo "read $f" || echo "refused $f"; done',
    { runner: 'process' },
  ),
);

export default project({
  name: 'tasks-isolation',
  params: [hostFiles, hostTargets, tmpName, port, marker],
  jobs: [
    readHost,
    writeOutside,
    reachPort,
    reachPortWithNetwork,
    readEnvironment,
    leaveBehind,
    writeOutput,
    askDocker,
    processRunner,
  ],
});
