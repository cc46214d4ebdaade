// The telephony module we register at RetailCRM (shared/domain/retailcrm.md): telephony settings only
// under integrations.telephony, an SVG logo, a non-blank baseUrl, our random clientId (never the
// enterprise number), the accountUrl with the admin link, and never `actions`.
import type { AdditionalCode, IntegrationModule } from '@fleet/retailcrm-client';

export interface ModuleInput {
  code: string;
  name: string;
  active: boolean;
  publicBaseUrl: string;
  clientId: string;
  accountUrl: string;
  userExtensions: Record<string, string>;
}

/** Logo path, served by the service as a static file. */
export const LOGO_PATH = '/retailcrm-admin/assets/logo.svg';

/** The full additionalCodes list (replaced wholesale on every edit), ordered by user id. */
export function additionalCodesOf(userExtensions: Record<string, string>): AdditionalCode[] {
  return Object.entries(userExtensions)
    .map(([userId, code]) => ({ userId: Number(userId), code }))
    .sort((a, b) => a.userId - b.userId);
}

export function buildModule(m: ModuleInput): IntegrationModule {
  return {
    code: m.code,
    active: m.active,
    name: m.name,
    logo: `${m.publicBaseUrl}${LOGO_PATH}`,
    baseUrl: m.publicBaseUrl,
    clientId: m.clientId,
    accountUrl: m.accountUrl,
    integrations: {
      telephony: {
        makeCallUrl: `${m.publicBaseUrl}/retailcrm/make-call`,
        changeUserStatusUrl: `${m.publicBaseUrl}/retailcrm/status`,
        inputEventSupported: true,
        outputEventSupported: true,
        hangupEventSupported: true,
        additionalCodes: additionalCodesOf(m.userExtensions),
        externalPhones: [],
      },
    },
  };
}
