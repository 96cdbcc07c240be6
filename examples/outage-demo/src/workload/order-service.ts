import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobInfo, BlobStore } from '@failover/storage';
import { readAll } from '@failover/storage';
import type { AxiosInstance } from 'axios';
import { receiptBytes, receiptStream, sha256 } from './content.js';
import { type Expected, generatedVersion, inlineVersion, type Ledger } from './ledger.js';

/** An order document, stored as JSON at `orders/<id>.json`. */
export interface Order {
  readonly id: string;
  readonly customer: string;
  readonly items: readonly { readonly sku: string; readonly qty: number }[];
  readonly totalCents: number;
  readonly quoteId: string;
  readonly status: OrderStatus;
  readonly receipt: { readonly key: string; readonly size: number; readonly sha256: string };
  readonly updatedAt: string;
}

/** The life of an order. */
export type OrderStatus = 'placed' | 'paid' | 'shipped';

/** What one operation of the service touched: who served its storage and API calls. */
export interface Trace {
  /** Target names of the stores that served each storage call (where the store reports it). */
  readonly storage: string[];
  /** Endpoint names of the pricing API regions that answered. */
  readonly api: string[];
}

/** A new order to place: everything random is drawn by the caller, from the seeded generator. */
export interface NewOrder {
  readonly id: string;
  readonly customer: string;
  readonly items: readonly { readonly sku: string; readonly qty: number }[];
  /** Receipt size in bytes and the seed of its content. */
  readonly receiptSize: number;
  readonly receiptSeed: number;
  /** Upload the receipt as a stream (large receipts) rather than as bytes. */
  readonly streamed: boolean;
}

/** The application noticed wrong data: what it read is not what it last wrote. */
export class StaleReadError extends Error {
  readonly kind = 'stale';
  constructor(key: string, detail: string) {
    super(`read of ${key} returned data the application did not write last (${detail})`);
    this.name = 'StaleReadError';
  }
}

/** Key of an order's document. */
export const orderKey = (id: string): string => `orders/${id}.json`;
/** Key of an order's receipt. */
export const receiptKey = (id: string): string => `receipts/${id}.bin`;

/**
 * The demo's application: an order service keeping order documents and receipts in a
 * `BlobStore` (the multi-cloud store) and pricing its orders with the pricing API (an axios
 * instance with failover). It knows nothing of clouds or faults; every write it makes is
 * recorded in the ledger as acknowledged (the call returned) or not (the call threw).
 */
export class OrderService {
  readonly #store: BlobStore;
  readonly #api: AxiosInstance;
  readonly #ledger: Ledger;

  constructor(store: BlobStore, api: AxiosInstance, ledger: Ledger) {
    this.#store = store;
    this.#api = api;
    this.#ledger = ledger;
  }

  /** Prices the items, gets a quote, stores the receipt, then the order document. */
  async place(order: NewOrder, trace: Trace): Promise<Order> {
    const skus = order.items.map((i) => i.sku).join(',');
    const prices = await this.#api.get<{ prices: Record<string, number> }>('/prices', { params: { skus } });
    trace.api.push(prices.config.failover?.endpoint ?? '?');
    // A POST: replayed on another region only because it carries an Idempotency-Key.
    const quote = await this.#api.post<{ quoteId: string; totalCents: number }>(
      '/quotes',
      { items: order.items },
      { headers: { 'Idempotency-Key': `quote-${order.id}` } },
    );
    trace.api.push(quote.config.failover?.endpoint ?? '?');
    const expectedTotal = order.items.reduce(
      (sum, i) => sum + (prices.data.prices[i.sku] ?? Number.NaN) * i.qty,
      0,
    );
    if (quote.data.totalCents !== expectedTotal) {
      throw new Error(
        `quote ${quote.data.quoteId} total ${quote.data.totalCents} differs from the prices (${expectedTotal})`,
      );
    }

    const rKey = receiptKey(order.id);
    let receiptBody: Buffer | Readable;
    let digest: string;
    if (order.streamed) {
      digest = await digestOf(receiptStream(order.receiptSeed, order.receiptSize));
      receiptBody = receiptStream(order.receiptSeed, order.receiptSize);
    } else {
      receiptBody = receiptBytes(order.receiptSeed, order.receiptSize);
      digest = sha256(receiptBody);
    }
    const receiptVersion = generatedVersion(order.receiptSeed, order.receiptSize, digest);
    const info = await this.#write(rKey, receiptVersion, () =>
      this.#store.put(rKey, receiptBody, {
        contentType: 'application/octet-stream',
        metadata: { order_id: order.id, customer: order.customer },
      }),
    );
    served(trace, info);

    const doc: Order = {
      id: order.id,
      customer: order.customer,
      items: order.items,
      totalCents: quote.data.totalCents,
      quoteId: quote.data.quoteId,
      status: 'placed',
      receipt: { key: rKey, size: order.receiptSize, sha256: digest },
      updatedAt: new Date().toISOString(),
    };
    await this.#putOrder(doc, trace);
    return doc;
  }

  /** Reads an order document and checks it is the one last written. */
  async read(id: string, trace: Trace): Promise<Order> {
    const key = orderKey(id);
    const { info, body } = await this.#store.get(key);
    served(trace, info);
    const bytes = await readAll(body);
    this.#check(key, bytes);
    return JSON.parse(bytes.toString('utf8')) as Order;
  }

  /** Reads a receipt and checks its bytes. */
  async readReceipt(id: string, trace: Trace): Promise<number> {
    const key = receiptKey(id);
    const { info, body } = await this.#store.get(key);
    served(trace, info);
    const bytes = await readAll(body);
    this.#check(key, bytes);
    return bytes.length;
  }

  /** Moves an order to its next status (placed → paid → shipped). */
  async advance(order: Order, trace: Trace): Promise<Order> {
    const next: OrderStatus = order.status === 'placed' ? 'paid' : 'shipped';
    const doc: Order = { ...order, status: next, updatedAt: new Date().toISOString() };
    await this.#putOrder(doc, trace);
    return doc;
  }

  /** Lists one shard of the orders (`orders/o-<shard>`); returns how many it saw. */
  async list(shard: string): Promise<number> {
    let n = 0;
    for await (const _ of this.#store.list({ prefix: `orders/o-${shard}`, pageSize: 100 })) n++;
    return n;
  }

  /** Cancels an order: its receipt and document are deleted. */
  async cancel(id: string): Promise<void> {
    for (const key of [receiptKey(id), orderKey(id)]) {
      await this.#write(key, null, () => this.#store.delete(key));
    }
  }

  async #putOrder(doc: Order, trace: Trace): Promise<void> {
    const key = orderKey(doc.id);
    const bytes = Buffer.from(JSON.stringify(doc));
    const info = await this.#write(key, inlineVersion(bytes), () =>
      this.#store.put(key, bytes, { contentType: 'application/json', metadata: { status: doc.status } }),
    );
    served(trace, info);
  }

  /** Runs a write and records in the ledger whether the application was told it succeeded. */
  async #write<T>(key: string, version: Expected, write: () => Promise<T>): Promise<T> {
    try {
      const result = await write();
      this.#ledger.ack(key, version);
      return result;
    } catch (err) {
      this.#ledger.fail(key, version);
      throw err;
    }
  }

  #check(key: string, bytes: Buffer): void {
    const expected = this.#ledger.acked(key);
    if (expected === undefined || expected === null) {
      throw new StaleReadError(key, 'the application has no acknowledged version of it');
    }
    if (bytes.length !== expected.size || sha256(bytes) !== expected.sha256) {
      throw new StaleReadError(
        key,
        `${bytes.length} bytes, expected ${expected.size} with SHA-256 ${expected.sha256.slice(0, 12)}…`,
      );
    }
  }
}

/** Notes the target that served a call, when the store reports it (the multi-cloud store does). */
function served(trace: Trace, info: BlobInfo): void {
  const target = (info as BlobInfo & { target?: unknown }).target;
  if (typeof target === 'string') trace.storage.push(target);
}

async function digestOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
