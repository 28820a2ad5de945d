// The dependency direction of DESIGN.md, checked in CI:
//   cli → producer, bridge, localstack → queue → core; core imports no I/O library.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core is the domain: no Redis, no SSH, no network, no processes',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: {
        path: ['node_modules/(bullmq|ioredis|ssh2|commander)', '^packages/(queue|producer|bridge|cli|localstack)/'],
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
      to: { path: ['^packages/(producer|bridge|cli|localstack)/', 'node_modules/ssh2'] },
    },
    {
      name: 'producer-no-ssh-no-bridge',
      comment: 'producer never imports ssh2 nor the bridge',
      severity: 'error',
      from: { path: '^packages/producer/' },
      to: { path: ['node_modules/ssh2', '^packages/(bridge|cli|localstack)/'] },
    },
    {
      name: 'bridge-not-producer',
      severity: 'error',
      from: { path: '^packages/bridge/' },
      to: { path: '^packages/(producer|cli|localstack)/' },
    },
    {
      name: 'localstack-only-core',
      severity: 'error',
      from: { path: '^packages/localstack/' },
      to: { path: ['^packages/(queue|producer|bridge|cli)/', 'node_modules/(bullmq|ioredis|ssh2)'] },
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
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
