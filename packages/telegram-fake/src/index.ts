export { createTelegramFake, type TelegramFake, type TelegramFakeOptions } from './fake.ts';
export { DEFAULT_LIMITS, type FakeLimits } from './limits.ts';
export { htmlError, plainText } from './html.ts';
export type { FakeMessage, RecordedRequest, FakeBotState } from './state.ts';
