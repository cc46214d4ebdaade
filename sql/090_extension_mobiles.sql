-- Whose mobile answered a FollowMe call. The host's events name the mobile number only (a FollowMe leg
-- is `Local/<mobile>@<outbound context>`, the same context for every mobile: packages/call-model
-- README, "answered only on a mobile"), so the operator says whose it is: `fleet extension add
-- --mobile`. The RetailCRM history record then names that extension and its user, and Telegram the
-- manager's name.
--
-- Stored as digits only (the international number without '+'), the form in which the call model
-- compares numbers (packages/call-model/src/numbers.ts digits()). E.164 allows at most 15 digits;
-- fewer than 6 would be an extension or a trunk id, never a mobile.
alter table extension_directory add column mobile text check (mobile ~ '^[0-9]{6,15}$');

-- One mobile answers for one manager of an enterprise: a second extension with the same mobile would
-- make the record's manager a guess again. NULLs (no mobile) do not collide. The index also serves the
-- per-enterprise lookup of mapped mobiles.
alter table extension_directory add constraint extension_directory_mobile_key unique (enterprise, mobile);
