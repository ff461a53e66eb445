// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), to act as a person's authenticator app.
import { createHmac } from "node:crypto";

export function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let n = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    bits = (bits << 5) | alphabet.indexOf(c);
    n += 5;
    if (n >= 8) {
      out.push((bits >>> (n - 8)) & 0xff);
      n -= 8;
    }
  }
  return Buffer.from(out);
}

export function totp(base32, unixSeconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", base32Decode(base32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}
