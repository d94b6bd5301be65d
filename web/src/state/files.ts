// Files in words: sizes as people read them, in the reader's language.

/** Types the server shows inline (everything else is a download). */
export function isInlineImage(contentType: string): boolean {
  return /^image\/(png|jpeg|gif|webp)$/.test(contentType);
}

/** "820 B", "14 KB", "3.2 MB"; in Russian "820 Б", "14 КБ", "3,2 МБ". */
export function fileSize(bytes: number, lang: 'ru' | 'en'): string {
  const units = lang === 'ru' ? ['Б', 'КБ', 'МБ', 'ГБ'] : ['B', 'KB', 'MB', 'GB'];
  let n = Math.max(0, bytes);
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  const digits = u === 0 || n >= 10 ? 0 : 1;
  const num = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: digits }).format(n);
  return `${num}\u00a0${units[u]}`;
}
