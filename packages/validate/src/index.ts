// Pure checks of caller input that more than one package or service applies (no I/O, no database):
// what PostgreSQL's jsonb refuses, and what may be dialled or written on a host's command line.
// `@fleet/validate/jsonb` alone does not load libphonenumber (services that only store bodies).
export { jsonbRefusal } from './jsonb.ts';
export {
  checkExtension,
  checkPhone,
  sanitizeName,
  dialplanName,
  DIALPLAN_NAME_RE,
  EXTENSION_RE,
  type Checked,
} from './dial-input.ts';
export { nationalNumber, samePhone } from './national-number.ts';
