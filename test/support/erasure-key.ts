import crypto from 'node:crypto';
import { erasureKeyOf, type ErasureKey } from '../../src/privacy/erasure-key';

/** A fresh erasure key, as a deployment's ERASURE_KEY_FILE would hold one. */
export const testErasureKey = (): ErasureKey => erasureKeyOf(crypto.randomBytes(32));
