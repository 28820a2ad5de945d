// The dependency direction of DESIGN.md, checked by `npm run deps`:
//   cli → dashboard, bridge, producer, localstack; dashboard → producer → queue → core; dashboard, bridge → alerts;
//   alerts → queue → core; localstack → core
//   only (every lower package's rule also forbids the dashboard); core imports no I/O library; the cli never
//   imports queue (it goes through the SDK); producer never imports ssh2 nor the bridge; the dashboard no SSH,
//   bridge or CLI; a package is entered only through its src/index.ts.
// tsconfig.depcruise.json maps every @rediacc/* import to packages/<name>/src/index.ts: without it the imports
// resolve into packages/*/dist/, which is excluded, and no edge between packages would ever be checked.
// test/guards/deps-rules.test.ts plants one violation per rule and shows that this check fails.
const others = (...names) => `^packages/(${names.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core is the domain: no Redis, no SSH, no network, no processes, no other package',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: {
        path: [
          'node_modules/(bullmq|ioredis|ssh2|commander)',
          others('queue', 'producer', 'bridge', 'cli', 'localstack', 'dashboard', 'alerts'),
        ],
      },
    },
    {
      name: 'core-no-io-builtins',
      comment:
        'core reads files only to load its configuration: the environment (config.ts) and the running local ' +
        "stack's file that names the Redis to use (local-stack-file.ts)",
      severity: 'error',
      from: { path: '^packages/core/src/(?!(config|local-stack-file)\\.ts$)', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(net|child_process|fs|fs/promises|http|https|dgram|tls)$' },
    },
    {
      name: 'queue-only-core',
      severity: 'error',
      from: { path: '^packages/queue/' },
      to: { path: [others('producer', 'bridge', 'cli', 'localstack', 'dashboard', 'alerts'), 'node_modules/ssh2'] },
    },
    {
      name: 'alerts-only-queue-and-core',
      comment: 'the alert engine reads Redis through queue and signs with core: no SDK, no bridge, no SSH',
      severity: 'error',
      from: { path: '^packages/alerts/' },
      to: { path: [others('producer', 'bridge', 'cli', 'localstack', 'dashboard'), 'node_modules/ssh2'] },
    },
    {
      name: 'producer-no-ssh-no-bridge',
      comment: 'producer never imports ssh2 nor the bridge',
      severity: 'error',
      from: { path: '^packages/producer/' },
      to: { path: ['node_modules/ssh2', others('bridge', 'cli', 'localstack', 'dashboard')] },
    },
    {
      name: 'bridge-not-producer',
      severity: 'error',
      from: { path: '^packages/bridge/' },
      to: { path: others('producer', 'cli', 'localstack', 'dashboard') },
    },
    {
      name: 'localstack-only-core',
      severity: 'error',
      from: { path: '^packages/localstack/' },
      to: {
        path: [
          others('queue', 'producer', 'bridge', 'cli', 'dashboard', 'alerts'),
          'node_modules/(bullmq|ioredis|ssh2)',
        ],
      },
    },
    {
      name: 'cli-only-through-the-sdk',
      comment: 'the cli reaches Redis through the SDK (@rediacc/producer), never @rediacc/queue',
      severity: 'error',
      from: { path: '^packages/cli/' },
      to: { path: others('queue') },
    },
    {
      name: 'nothing-imports-the-top',
      comment: 'the cli is the entry point: no other package imports it',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: others('cli'), pathNot: '^packages/$1/' },
    },
    {
      name: 'only-through-the-entry',
      comment: 'another package is entered through its src/index.ts only: its other files are internal',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: ['^packages/$1/', '^packages/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'bridge-rooms-from-outside',
      comment: "the bridge's rooms (ssh/, agent/, lanes/, run/, status/) are entered through their index.ts only",
      severity: 'error',
      from: { path: '^packages/bridge/src/[^/]+\\.ts$' },
      to: { path: '^packages/bridge/src/[^/]+/', pathNot: '^packages/bridge/src/[^/]+/index\\.ts$' },
    },
    {
      name: 'bridge-rooms-from-each-other',
      comment: 'one room of the bridge enters another through its index.ts only',
      severity: 'error',
      from: { path: '^packages/bridge/src/([^/]+)/' },
      to: {
        path: '^packages/bridge/src/[^/]+/',
        pathNot: ['^packages/bridge/src/$1/', '^packages/bridge/src/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'no-unresolvable',
      comment: 'an import nothing resolves (a missing file, or a subpath a package does not export)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'dashboard-no-ssh-no-bridge',
      comment: 'the console reads queues through producer and queue: no SSH, no bridge, no CLI',
      severity: 'error',
      from: { path: '^packages/dashboard/' },
      to: { path: ['node_modules/ssh2', others('bridge', 'cli', 'localstack')] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^packages/[^/]+/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
