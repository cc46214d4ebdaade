export { createRetailCrmFake, type RetailCrmFake, type RetailCrmFakeOptions } from './fake.ts';
export { summarize } from './summarize.ts';
export type { FakeApiKey, FakeFaults } from './guard.ts';
export type {
  FakeState,
  FakeUser,
  AcceptedEvent,
  AcceptedUpload,
  Rejection,
  RejectionReason,
  RateStats,
} from './state.ts';
export { isCrmDate } from './validate.ts';
export type { ClickOptions, CallbackResult } from './callbacks.ts';
