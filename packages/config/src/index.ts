import { x } from '@recording-vault/contract';
export const y = x + 1;
