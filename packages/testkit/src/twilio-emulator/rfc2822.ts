/** Twilio's date format on the 2010 API: `Tue, 24 Nov 2026 03:00:00 +0000` (always GMT). */
export function formatRfc2822(date: Date | number): string {
  return new Date(date).toUTCString().replace(/GMT$/, '+0000');
}
