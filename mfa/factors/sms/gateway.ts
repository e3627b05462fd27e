/** The SMS port (adapters/sms_gateway.ts implements it). Errors never carry the carrier's response body. */
export interface SmsGateway {
  send(to: string, body: string): Promise<void>;
}
