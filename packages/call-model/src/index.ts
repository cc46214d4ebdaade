export * from './types.ts';
export { emptyState, applyEvent, applyEvents, advanceTime, nextDeadline, type ModelState } from './model.ts';
