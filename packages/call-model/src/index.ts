export * from './types.ts';
export { emptyState, applyEvent, advanceTime, nextDeadline, type ModelState } from './model.ts';
