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
  CrmTask,
  CrmCustomer,
  StoredTask,
  StoredCustomer,
  TaskEdit,
} from './state.ts';
export type { FakeCustomerSeed } from './customers.ts';
export { nationalNumber, samePhone } from './phone-match.ts';
export { isTaskDate } from './validate-entities.ts';
export { isCrmDate } from './validate.ts';
export type { ClickOptions, CallbackResult } from './callbacks.ts';
