/**
 * The sample lists the keyword engine uses when no list is configured (KEYWORDS_FILES unset), so
 * the apps run with no configuration, under Node and on Workers alike. Copy them into files of
 * your own to start a list: the format is in docs/keywords.md.
 */

/** The sample block list: English, Chinese and Japanese profanity. */
export const SAMPLE_LIST = {
  name: "sample",
  text: `# Sample block list of dify-ext's keyword moderation, used when KEYWORDS_FILES is not set.
# Replace it with your own lists: one term per line, '#' starts a comment, blank lines are ignored.
# Terms are matched after Unicode NFKC normalisation and case folding, so 'ｆｕｃｋ' and 'FUCK'
# match 'fuck'. Latin-script terms match as whole words ('ass' does not match 'class'); terms in
# scripts written without spaces (Chinese, Japanese, Thai, ...) match anywhere in the text.
# See docs/keywords.md for the file format and the matching rules.
# category: profanity

# English
fuck
fucking
motherfucker
shit
bullshit
bitch
asshole
ass
bastard
dickhead
cunt
slut
whore

# 中文
傻逼
操你妈
他妈的
王八蛋
狗日的

# 日本語
くたばれ
`,
} as const;

/** The sample allow-list that goes with the sample block list. */
export const SAMPLE_ALLOW_LIST = {
  name: "sample-allow",
  text: `# Sample allow-list: terms that are never flagged, even when a blocked term lies inside them.
# Useful with substring matching (KEYWORDS_MATCH=substring or '# match: substring' in a list),
# where 'ass' would otherwise be found inside 'assistant' or 'classic'.
assistant
classic
Scunthorpe
`,
} as const;
