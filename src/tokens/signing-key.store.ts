// The keys that sign client tokens, shared by every process on one database.

export interface SigningKey {
  kid: string;
  secret: string;
  createdAt: number;
}

export interface SigningKeyStore {
  /** Stores `candidate` unless a key already exists; returns the key every process must use. */
  ensure(candidate: SigningKey): Promise<SigningKey>;
  list(): Promise<SigningKey[]>;
}
