/**
 * RSA key pairs for the sign-in tests (GitHub App, Okta service app), made at test time so that no private
 * key is ever committed. The fixture servers verify signatures with `publicKeyPem`.
 */
import { generateKeyPairSync } from 'node:crypto';

/**
 * A fresh 2048-bit RSA key pair: the private key as PEM, PKCS#8 by default or PKCS#1 ("BEGIN RSA PRIVATE
 * KEY", as GitHub hands out app keys), and the public key as SPKI PEM.
 */
export function testRsaKey(format: 'pkcs1' | 'pkcs8' = 'pkcs8'): {
  privateKey: string;
  publicKeyPem: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: format, format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
