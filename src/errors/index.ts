export * from './pipeline-error.js';
export * from './codes.js';
