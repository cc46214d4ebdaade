export { ENCRYPTED_PREFIX, SecretDecryptError, decryptSecret, encryptSecret, isEncrypted } from './cipher.ts';
export { devSecretsPath, loadOrCreateDevSecrets, parseSecretsKey, resolveSecrets, type FleetSecrets } from './keys.ts';
