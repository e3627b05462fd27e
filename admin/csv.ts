import { stringify } from 'csv-stringify/sync';

/**
 * RFC 4180 CSV (CRLF line ends, quoting where needed) with a header row. A cell that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so a spreadsheet opening
 * the export does not run a name or an email as a formula (OWASP "CSV injection").
 */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return stringify([header, ...rows], { record_delimiter: 'windows', escape_formulas: true });
}
