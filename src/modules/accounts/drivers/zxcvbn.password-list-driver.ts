/**
 * The common-password list: the 49,000 most used passwords of zxcvbn-ts's common dictionary (from leaked
 * password sets), shipped inside the npm package, so nothing is fetched. Loaded on first use, not on import:
 * the package decompresses the list (a few MB) when it is imported.
 */
export async function loadCommonPasswords(): Promise<Set<string>> {
  const { dictionary } = await import('@zxcvbn-ts/language-common');
  return new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
}
