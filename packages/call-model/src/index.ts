export * from './types.ts';
export { emptyState, applyEvent, applyEvents, advanceTime, nextDeadline, type ModelState } from './model.ts';
/** How the model compares numbers: stores that must match its answeredBy/phone (mobiles) use the same. */
export { digits, sameNumber } from './numbers.ts';
