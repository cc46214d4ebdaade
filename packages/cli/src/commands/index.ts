import type { Command } from '../command.ts';
import { enterpriseAdd, enterpriseList, enterpriseSet } from './enterprise.ts';
import { telegramInvite, telegramRecipients, telegramSetToken, telegramStatus, telegramWebhook } from './telegram.ts';
import { extensionAdd, extensionList, lineAdd } from './directory.ts';
import {
  retailcrmCustomers,
  retailcrmMap,
  retailcrmSet,
  retailcrmShow,
  retailcrmTasks,
  retailcrmUnmap,
} from './retailcrm.ts';
import { retailcrmAdminLink, retailcrmRegister } from './retailcrm-admin.ts';
import { hostCheck, hostSet } from './host.ts';
import { recover } from './recover.ts';

/** Every `fleet <group> <name>` command, in the order `fleet --help` lists them. */
export const COMMANDS: readonly Command[] = [
  enterpriseAdd,
  enterpriseList,
  enterpriseSet,
  retailcrmSet,
  retailcrmMap,
  retailcrmUnmap,
  retailcrmShow,
  retailcrmTasks,
  retailcrmCustomers,
  retailcrmAdminLink,
  retailcrmRegister,
  telegramSetToken,
  telegramStatus,
  telegramInvite,
  telegramRecipients,
  telegramWebhook,
  extensionAdd,
  extensionList,
  lineAdd,
  hostSet,
  hostCheck,
  recover,
];
