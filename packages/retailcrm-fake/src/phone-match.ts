// How the fake finds a customer or a responsible manager by phone: RetailCRM stores numbers as typed and
// telephony/manager finds the customer whatever the format of the number asked for. The rule is the
// fleet's one (@fleet/validate's national significant number), so the fake and the service agree.
export { nationalNumber, samePhone } from '@fleet/validate/national-number';
