export * from './types';
export * from './errors';
export * from './bridge';
export * from './api';
export * from './sse';
export * from './transport';
