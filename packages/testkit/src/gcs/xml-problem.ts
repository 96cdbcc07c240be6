/**
 * An error answer of the XML API (signed URLs): sent as GCS sends it,
 * `<?xml version='1.0' encoding='UTF-8'?><Error><Code>…</Code><Message>…</Message><Details>…</Details></Error>`.
 */
export class XmlProblem extends Error {
  readonly status: number;
  /** GCS's error code (`NoSuchKey`, `ExpiredToken`, `SignatureDoesNotMatch`...). */
  readonly code: string;
  readonly details: string | undefined;

  constructor(status: number, code: string, message: string, details?: string) {
    super(message);
    this.name = 'XmlProblem';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The XML body. */
  toXml(): string {
    const details = this.details === undefined ? '' : `<Details>${escapeXml(this.details)}</Details>`;
    return `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${escapeXml(this.code)}</Code><Message>${escapeXml(this.message)}</Message>${details}</Error>`;
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
