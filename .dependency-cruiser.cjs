// The dependency direction of DESIGN.md, checked in CI:
//   cli → producer, bridge, localstack → queue → core; dashboard → producer, queue, core; core imports no I/O library.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core is the domain: no Redis, no SSH, no network, no processes',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: {
        path: [
          'node_modules/(bullmq|ioredis|ssh2|commander)',
          '^packages/(queue|producer|bridge|cli|localstack|dashboard)/',
        ],
      },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      from: { path: '^packages/core/src/(?!config\\.ts)', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(net|child_process|fs|fs/promises|http|https|dgram|tls)$' },
    },
    {
      name: 'queue-only-core',
      severity: 'error',
      from: { path: '^packages/queue/' },
      to: { path: ['^packages/(producer|bridge|cli|localstack|dashboard)/', 'node_modules/ssh2'] },
    },
    {
      name: 'producer-no-ssh-no-bridge',
      comment: 'producer never imports ssh2 nor the bridge',
      severity: 'error',
      from: { path: '^packages/producer/' },
      to: { path: ['node_modules/ssh2', '^packages/(bridge|cli|localstack|dashboard)/'] },
    },
    {
      name: 'bridge-not-producer',
      severity: 'error',
      from: { path: '^packages/bridge/' },
      to: { path: '^packages/(producer|cli|localstack|dashboard)/' },
    },
    {
      name: 'localstack-only-core',
      severity: 'error',
      from: { path: '^packages/localstack/' },
      to: { path: ['^packages/(queue|producer|bridge|cli|dashboard)/', 'node_modules/(bullmq|ioredis|ssh2)'] },
    },
    {
      name: 'dashboard-no-ssh-no-bridge',
      comment: 'the console reads queues through producer and queue: no SSH, no bridge, no CLI',
      severity: 'error',
      from: { path: '^packages/dashboard/' },
      to: { path: ['node_modules/ssh2', '^packages/(bridge|cli|localstack)/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // dist folders stay in the graph (a package imports another through its dist/index.d.ts), unfollowed, so the
    // rules above see cross-package imports; excluding them would hide every such import from the rules.
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
