import { type MultiCloudStore, readAll } from '@failover/storage';

/** What the example stores: a small JSON invoice. */
export interface Invoice {
  readonly id: string;
  readonly customer: string;
  readonly total: number;
  readonly status: 'open' | 'paid';
}

/** The object key of an invoice. */
export const keyOf = (id: string): string => `invoices/${id}.json`;

/** An invoice as the bytes stored for it. */
export const bytesOf = (invoice: Invoice): Buffer => Buffer.from(JSON.stringify(invoice));

/** An acknowledged write: the bytes sent and the version the store gave them. */
export interface Written {
  readonly bytes: Buffer;
  readonly version: string | undefined;
}

/** Writes an invoice through the store; returns what was acknowledged. */
export async function putInvoice(store: MultiCloudStore, invoice: Invoice): Promise<Written> {
  const bytes = bytesOf(invoice);
  const info = await store.put(keyOf(invoice.id), bytes, { contentType: 'application/json' });
  return { bytes, version: info.version };
}

/** Reads an invoice through the store: its bytes and the cloud that served them. */
export async function getInvoice(
  store: MultiCloudStore,
  id: string,
): Promise<{ readonly bytes: Buffer; readonly target: string; readonly invoice: Invoice }> {
  const { info, body } = await store.get(keyOf(id));
  const bytes = await readAll(body);
  return { bytes, target: info.target, invoice: JSON.parse(bytes.toString('utf8')) as Invoice };
}
