/**
 * Import rules: cli → stages → adapters → domain → errors (and runtime interfaces below stages and adapters).
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports only the domain and the error tree',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(?!(domain|errors)/)' },
    },
    {
      name: 'errors-import-nothing',
      severity: 'error',
      from: { path: '^src/errors/' },
      to: { path: '^src/(?!errors/)' },
    },
    {
      name: 'runtime-below-stages-and-adapters',
      severity: 'error',
      comment: 'src/runtime (StageDeps, Reporter, Clock) imports only the domain and the error tree',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(?!(runtime|domain|errors)/)' },
    },
    {
      name: 'adapters-never-import-stages-or-cli',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(stages|cli|report)/' },
    },
    {
      name: 'report-below-stages',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^src/(stages|cli)/' },
    },
    {
      name: 'stages-never-import-cli',
      severity: 'error',
      from: { path: '^src/stages/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'stages-never-import-aws-sdk',
      comment: 'AWS is behind adapter interfaces',
      severity: 'error',
      from: { path: '^src/stages/' },
      to: { path: '@aws-sdk/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
