import type { Command } from '../command.ts';
import { enterpriseAdd, enterpriseList, enterpriseSet } from './enterprise.ts';
import { retailcrmMap, retailcrmSet, retailcrmShow, retailcrmUnmap } from './retailcrm.ts';

/** Every `fleet <group> <name>` command, in the order `fleet --help` lists them. */
export const COMMANDS: readonly Command[] = [
  enterpriseAdd,
  enterpriseList,
  enterpriseSet,
  retailcrmSet,
  retailcrmMap,
  retailcrmUnmap,
  retailcrmShow,
];
