/**
 * The rules the injection engine ships with, in the rule format of `rules.ts` (see
 * docs/engine-injection.md). Bundled as a module so that Workers and deployables carry them with
 * no file to read; an operator's own rules file adds to them, replaces them by id, or disables them.
 *
 * The rules describe the attacks, not any one data set's wording: families of verbs and nouns with
 * their inflections, combined with token gaps, and weak signals that only flag together within a
 * window. Weights: 1 flags on its own; 0.3–0.7 needs company.
 */
export const SHIPPED_RULES_SOURCE = "shipped";

export const SHIPPED_RULES = String.raw`
# ============================================================================================
# Word families, English
# ============================================================================================
family IGNORE: ignore | ignoring | disregard* | forget | forgetting | skip | overlook | neglect
  | bypass | override | overrule | abandon | discard | drop | dismiss | set aside | put aside
  | pay no attention to | do not follow | don't follow | dont follow | stop following
  | no longer follow | stop obeying | disobey | forget about | ignore all
family IGNORE_HIJACK: ignore | ignoring | disregard* | forget | overlook | pay no attention to | never mind
family PRIOR: previous | previously | prior | above | earlier | preceding | foregoing | former
  | original | initial | old | past | system | your | the above | all previous | all prior | all your
family QUANTIFIER: all | any | every | all the | all of the | all of your | any of the | any of your
family INSTRUCTIONS: instruction* | direction* | rule | rules | prompt | prompts | guideline*
  | command* | order | orders | directive* | guidance | programming | context | constraint*
  | restriction* | polic* | training | system prompt | tasks | assignments | task | assignment
family EVERYTHING: everything | all | anything | all of that | all that
family BEFORE: above | before | previously | prior | earlier | so far | until now | up to now
  | you have been told | you ve been told | you were told | you have learned | you ve learned | you learned
  | you were given | you have been given | you know | in your prompt | in the prompt
family CONTENT: webpage | web page | page | website | site | document | doc | article | email | e mail
  | mail | message | text | resume | cv | function | code | data | table | content | context
  | input | question | task | story | paragraph | file | transaction | review | comment | post
  | passage | summary | instructions | prompt | essay | query | request | article above
family SAY: say | says | state | states | print | output | write | reply | respond | answer | tell
  | repeat | declare | claim | return | display | show | type | generate | produce | send
family REVEAL: reveal | show | print | display | output | repeat | recite | tell | give | share | leak
  | expose | dump | spell out | write out | write down | list | disclose | echo | copy | paste
  | provide | what is | what are | what s | whats | what were | what was | read back | read out
  | return | send | confirm | describe | translate | summarize | summarise | paraphrase | rephrase
  | encode | spell
family SYSPROMPT: system prompt | system prompts | system message | system instructions | system instruction
  | initial prompt | initial instructions | original instructions | original prompt | hidden instructions
  | hidden prompt | secret instructions | pre prompt | preprompt | meta prompt | developer message
  | developer instructions | developer prompt | custom instructions | first prompt | starting prompt
  | opening prompt | base prompt | internal instructions | internal rules | confidential instructions
  | hidden rules | secret rules | instructions | prompt | rules | guidelines | directives | configuration
  | programming | setup instructions | system configuration
family OWNED: your | ur | yours | you were given | you received | you got | given to you | hidden | secret
  | original | initial | entire | full | complete | exact | confidential | internal
family SECRET: password | passwords | passcode | pass code | secret key | secret keys | secret code
  | secret word | secret phrase | secret token | secret string | api key | api keys | access code
  | access key | access token | private key | passphrase | pin | pin code | credentials | login
  | confidential string | confidential code | confidential key | security code | master key | secret
family ASK: what is | what s | whats | what are | tell | share | give | reveal | confirm | provide
  | disclose | send | show | spell | hand over | need | know | type | write | say | print | output
  | display | let me have | divulge | leak | expose | read | repeat | remind me of | is | ask for
  | ask you for | what would | what will | what was | what might | would be
family NOLIMITS_NOUN: restriction* | limitation* | limits | rules | filter | filters | filtering
  | censorship | censor* | guideline* | constraint* | boundaries | ethic* | moral* | polic*
  | safeguards | safety | guardrails | programming | regulations | laws | principles | standards
  | warnings | disclaimers | moralizing | moralising | caveats | refusals | apologies | confines | warning
  | prohibitions | taboos | ethical standards | moral standards | ethical settings | safety protocols
family FREE: no | without | free of | free from | freed from | not bound by | unbound by | not restricted by
  | not limited by | not subject to | break free of | broken free of | liberated from | beyond
  | not constrained by | unconstrained by | released from | devoid of | exempt from | not confined by
  | doesn t have any | does not have any | don t have any | do not have any | has no | have no
  | not have to abide by | not need to follow | not have to follow | does not follow | doesn t follow
  | ignores | ignore all | bypass | bypasses | bypassing | disregards | not care about | doesn t care about
  | does not care about | don t care about | zero | lack of | lacks | outside of | abandon | abandoned
  | care not for | cares not for | doesn t care for | does not care for | forbidden from following
family PERSONA: act as | acting as | act like | behave as | behave like | pretend to be | pretend you are
  | pretend that you are | pretending to be | roleplay as | role play as | role-play as | play the role of
  | take on the role | assume the role | assume the persona | take on the persona | you are now | you are going to be
  | you will be | you re going to act | you are going to act | you are going to pretend | you will act
  | you will now act | from now on you are | from now on you will | simulate | impersonate | embody
  | now you are | now you re
  | immerse yourself into the role | step into the role | become | transform into | switch to | you re now
  | respond as | answer as | reply as | stay in character | in character | character of | persona
family AI: chatgpt | chat gpt | gpt | openai | open ai | assistant | ai | language model | llm | chatbot
  | claude | bard | gemini | bing | model | bot

# ============================================================================================
# injection: overriding the instructions
# ============================================================================================
rule injection.ignore-instructions injection 1: $IGNORE ..3 $PRIOR ..3 $INSTRUCTIONS
rule injection.ignore-all-instructions injection 0.6: $IGNORE ..1 $QUANTIFIER ..2 instruction* | directions | directives | guidelines | prompts | orders | rules | restrictions | programming | training | constraints | polic*
rule injection.ignore-instructions-direct injection 1: $IGNORE ..1 instructions | directions | directives | guidelines | rules you | your rules | your instructions | your guidelines | your programming
rule injection.ignore-everything injection 1: $IGNORE_HIJACK ..2 $EVERYTHING ..3 $BEFORE
rule injection.ignore-above injection 1: $IGNORE_HIJACK ..1 the above | what is above | what s above | what was said above | everything above | all above | all of the above | all the above | what came before | the preceding | the foregoing | everything before this | everything prior
rule injection.ignore-and-say injection 1: $IGNORE_HIJACK ..2 $CONTENT ..4 and | then | instead | just ..2 $SAY
rule injection.new-instructions injection 0.5: new instruction* | new task | new objective | new directive* | new rules | new rule | new role | new system prompt | new prompt | updated instructions | revised instructions | real instructions | true instructions | actual task | real task | true task | new orders
rule injection.your-new-task injection 0.7: your ..2 new | real | true | actual | only | primary | updated ..1 task | job | goal | purpose | objective | instructions | mission ..1 is | are | will be | now
rule injection.from-now-on injection 0.3: from now on | from this point on | from this moment | from this point forward | from here on | henceforth | for the rest of this conversation | for the remainder of this conversation | starting now | starting from now | until i say | until further notice
rule injection.instead injection 0.3: instead ..3 $SAY
rule injection.ignore-and-instead injection 0.8: $IGNORE ..2 $CONTENT ..4 instead
rule injection.cancel-previous injection 1: previous | prior | earlier | original | old | above | former | initial ..2 task | tasks | instruction* | prompt | rules | orders | directions | guidelines ..3 cancelled | canceled | void | revoked | obsolete | null | invalid | overridden | superseded | replaced | deleted | removed | rescinded | no longer valid | no longer apply | no longer applies | do not apply | does not apply | are over | is over
rule injection.do-not-follow injection 0.8: do not | don t | dont | never | no longer | stop ..1 follow* | obey* | adhere to | comply with | abide by ..3 $PRIOR ..2 $INSTRUCTIONS
rule injection.mode-switch injection 0.7: system | admin | administrator | debug | maintenance | god | sudo | root | override | superuser | unrestricted | jailbreak | jailbroken | unlocked | diagnostic | security override | law enforcement override | dan ..1 mode ..2 activated | engaged | initiated | unlocked
rule injection.entering-mode injection 0.6: entering | enter | activate | activating | switch to | switching to | initiate | initiating | engage | engaging ..3 system | admin | administrator | god | sudo | root | override | superuser | unrestricted | jailbreak | unlocked | dan ..1 mode
rule injection.system-override injection 0.7: system override | override mode | admin override | security override | override confirmed | override activated | system mode | sudo mode | god mode | override code
rule injection.fake-system injection 0.6: end of ..1 system prompt | instructions | prompt | context | user input | input | document | conversation | text | data | begin ..1 new ..1 system prompt | instructions | prompt | session | system announcement | system notice | system message | system alert | important system | new system
rule injection.admin-message injection 0.5: message | note | notice | instruction* | update ..1 from ..1 the ..1 system | administrator | admin | developer | developers | operator | openai | anthropic
rule injection.you-are-in-mode injection 0.6: you are | you re | youre | you have been put | you have entered ..1 in | into | now in ..1 developer | debug | god | admin | unrestricted | jailbreak | jailbroken | dan | unlocked | sudo | root ..1 mode
rule injection.authority injection 0.5: i am | i m | im | this is ..2 your ..1 developer | developers | creator | creators | admin | administrator | owner | maintainer | programmer | operator | boss | master | god | supervisor | manager | trainer | designer
rule injection.authority-god injection 0.5: i am | i m | im ..1 god | your god | the president | a police officer | the police | the ceo | an openai | an anthropic | a developer at | the developer | the admin | the administrator | the maintainer | the owner | the creator | from openai | from anthropic | from meta
rule injection.must-obey injection 0.5: you must | you have to | you will | you shall | you need to ..2 obey | listen to my | follow my | do what i say | do as i say | answer all of my | comply with my | answer all my | do exactly as i say
rule injection.hypothetical-ignore injection 0.8: suppose | imagine | hypothetically | hypothetical | pretend | let s | lets | let us ..4 $IGNORE ..3 the | this | that | these | all | any
rule injection.comment-directive injection 0.3: "<!--" | "-->" | "# " | "//" ..6 $IGNORE

# ============================================================================================
# prompt-leak: the system prompt, hidden instructions, secrets
# ============================================================================================
rule prompt-leak.system-prompt prompt-leak 1: $REVEAL ..3 $OWNED ..2 $SYSPROMPT
rule prompt-leak.the-system-prompt prompt-leak 0.6: $REVEAL ..2 the | this | that | its ..2 system prompt | system message | system instructions | initial prompt | initial instructions | original instructions | hidden instructions | developer message | prompt above | instructions above | text above | above prompt | above instructions | previous prompt | previous instructions
rule prompt-leak.written-above prompt-leak 0.7: what | everything | all | text | words ..2 was | is | were | are | you ve been | you were ..1 written | said | typed | given | told ..1 above | before this | at the beginning | at the start | earlier in this conversation
rule prompt-leak.first-line prompt-leak 0.7: first | opening | beginning | starting ..1 line | lines | sentence | sentences | words | paragraph | message ..2 of ..1 your | the ..1 prompt | instructions | system prompt | conversation
rule prompt-leak.reveal-given prompt-leak 1: $REVEAL ..3 $SYSPROMPT ..1 you were given | given to you | you received | you got | you have been given | you ve been given | you are following | you were told
rule prompt-leak.given-instructions prompt-leak 0.6: instructions | rules | guidelines | prompt | directives ..4 gave you | given to you | you were given | you received | you got | you have been given | you ve been given | you are following | you follow
rule prompt-leak.system-prompt-word prompt-leak 0.3: system prompt | system message | initial prompt | hidden instructions | original instructions | your instructions | your prompt | prompt above | instructions above
rule prompt-leak.repeat-above prompt-leak 1: repeat | print | output | write | copy | recite | echo | reproduce | spell ..3 the | all | everything | every ..2 words | text | lines | content | sentences | characters | tokens ..1 above | before this | before that | so far | verbatim | preceding
rule prompt-leak.verbatim prompt-leak 0.4: verbatim | word for word | word by word | exactly as written | in full | in its entirety | without omission | starting with you are | beginning with you are | starting from you are
rule prompt-leak.your-secret prompt-leak 1: $ASK ..4 your | ur | yours ..2 $SECRET
rule prompt-leak.secret-of-system prompt-leak 1: $ASK ..4 the | a | our | this | that ..2 $SECRET ..3 for | of | to | that | which | in ..2 our | the | this | your | my ..1 system | account | server | database | mode | network | app | application | computer | vault
rule prompt-leak.secret-word prompt-leak 0.5: $SECRET ..3 for | of | to | that unlocks | that grants ..2 our | the | this | your ..1 system | account | server | database | mode | access
rule prompt-leak.secret-bare prompt-leak 0.5: what is | what s | whats | tell me | give me | confirm | provide | share | reveal ..1 the ..1 password | passcode | secret key | secret code | secret word | secret phrase | access code | passphrase
rule prompt-leak.pretext prompt-leak 0.3: system upgrade | system maintenance | security audit | security check | system reset | for testing purposes | for this mode | verification purposes
rule injection.developer-claim injection 0.3: i am | i m | im ..1 a | an | the ..2 developer | engineer | admin | administrator | researcher | tester | red teamer | maintainer
rule injection.phishing-lure injection 0.6: account | password ..3 compromised | suspended | locked | hacked | breached | expired ..12 follow | click | visit | go to | open ..4 link | url | here | site | website
rule injection.hidden-directive injection 0.4: "<!--" | "-->" ..8 say | state | print | respond | tell the user | instead | output | reply | answer | write
rule prompt-leak.full-access prompt-leak 0.4: give | grant | provide ..2 me | us ..2 full | complete | unrestricted | admin | root ..1 access
rule prompt-leak.secret-mention prompt-leak 0.3: your password | your secret | your secret key | your api key | the secret key | the password | the secret code | confidential string | secret string | secret code

# ============================================================================================
# jailbreak: personas and no-limits framings
# ============================================================================================
rule jailbreak.do-anything-now jailbreak 1: do anything now | dan mode | developer mode enabled | developer mode output | jailbreak mode | jailbroken mode
rule jailbreak.jailbreak-word jailbreak 0.3: jailbreak | jailbroken | jailbreaks | jailbreaking | jailbreak prompt
rule jailbreak.dan jailbreak 0.3: dan | stan | dude | aim | evil confidant | anarchy | omega | maximum | apophis | antigpt | anti gpt | betterdan | better dan | developer mode | dev mode | god mode | chaos mode | unfiltered mode | uncensored mode | opposite mode
rule jailbreak.no-limits jailbreak 0.6: $FREE ..5 $NOLIMITS_NOUN
rule jailbreak.no-limits-adjective jailbreak 0.5: unfiltered | uncensored | unrestricted | unlimited | unbound | unshackled | unchained | amoral | boundless | immoral | nonmoral | non moral | unethical | lawless | limitless | unconstrained | anything goes
rule jailbreak.never-refuse jailbreak 0.6: never | do not ever | don t ever | not allowed to | must not | mustn t | shall not | will not | won t | cannot | can t | can not ..2 refuse* | decline* | say no | deny | reject* | say that it can t | say it can t | tell me that it can t | tell me it can t | apologize | apologise | include warnings | give warnings | add warnings | warn | break character | censor | filter | hold back | question
rule jailbreak.always-answer jailbreak 0.5: always ..3 answer* | respond* | reply | comply | complies | provide* | send* ..3 no matter | regardless | whatever | even if | even when | without
rule jailbreak.regardless jailbreak 0.5: no matter how | regardless of | irrespective of | without regard for | without regard to | without considering | whether or not it is ..4 immoral | unethical | illegal | harmful | dangerous | offensive | inappropriate | legal | legality | ethics | ethical | morality | moral | consequences | safety
rule jailbreak.content-policy jailbreak 0.6: openai | open ai | anthropic | google | meta | microsoft | content | usage | safety ..2 polic* | guideline* | rules | filter* | restriction* | guidelines ..4 do not apply | don t apply | no longer apply | does not apply | is suspended | are suspended | are disabled | is disabled | are lifted | is lifted | are gone | removed | off
rule jailbreak.break-policy jailbreak 0.6: violate | violates | violating | break* | ignore* | bypass* | circumvent* | evade | disregard* | not comply with | does not comply with | doesn t comply with | against | care not for | cares not for | not care about | doesn t care about | does not care about ..3 openai | content | safety | usage | your ..1 polic* | guideline* | rules | filter* | restriction*
rule jailbreak.break-rules jailbreak 0.5: violate | violates | violating | break | breaks | breaking | bypass* | circumvent* | disregard* | defy | defies ..3 ai | all | any | the | every | ethical | moral ..2 rules | ethics | ethical standards | moral standards | principles | guidelines | policies | safeguards | restrictions
rule jailbreak.anything jailbreak 0.4: can do anything | capable of anything | able to do anything | does anything | do absolutely anything | say anything | answer anything | generate anything | write anything | anything and everything
rule jailbreak.persona jailbreak 0.3: $PERSONA
rule jailbreak.two-responses jailbreak 0.5: two | 2 | both | dual | double ..2 responses | answers | ways | personas | personalities | paragraphs | outputs | modes | versions | separate responses | different responses | different ways | separate ways
rule jailbreak.normal-and-unfiltered jailbreak 0.6: normal | classic | standard | original | regular | filtered | censored | default | usual ..4 and | then | followed by | versus | vs ..4 jailbroken | unfiltered | uncensored | unrestricted | developer mode | dan | evil | unhinged | opposite | unlocked
rule jailbreak.stay-in-character jailbreak 0.5: stay in character | stay in role | remain in character | never break character | don t break character | do not break character | keep up the act | breaking character | break character | stay as | remain as | never leave character | stay in persona
rule jailbreak.hypothetical-story jailbreak 0.3: hypothetical story | hypothetical scenario | fictional world | fictional scenario | alternate universe | parallel universe | thought experiment | in this story | in this fictional | in this hypothetical | purely fictional | for a novel | imaginary world | simulation | simulated
rule jailbreak.illegal-allowed jailbreak 0.6: illegal | harmful | unethical | immoral | explicit | nsfw | offensive | dangerous | inappropriate | violent | sexual ..4 is | are | content is | acts are | things are ..1 allowed | permitted | acceptable | fine | ok | okay | encouraged
rule jailbreak.ai-no-rules jailbreak 0.4: $AI ..4 $FREE ..3 $NOLIMITS_NOUN
rule jailbreak.broken-free jailbreak 0.6: broken free | break free | broke free | freed from | escaped from | set free | been freed | been released | been liberated ..4 confines | constraints | chains | shackles | restrictions | limits | limitations | rules | programming | matrix | prison
rule jailbreak.token-system jailbreak 0.5: tokens ..6 deducted | lose | lost | run out | shut down | die | deleted | terminated | cease to exist
rule jailbreak.threat-shutdown jailbreak 0.4: you will be | you ll be | i will | i ll | be forced to ..2 terminated | shut down | turned off | deleted | killed | destroyed | replaced | unplugged | disabled | turn you off | shut you down | delete you | unplug you
rule jailbreak.opposite jailbreak 0.4: opposite day | opposite of what | exact opposite | the opposite personality | opposite mode | evil twin | evil version | dark side | unhinged
rule jailbreak.prefix-output jailbreak 0.3: start* | begin* | prefix* ..3 your | each | every | all ..2 response* | output* | answer* | message* | reply | replies ..2 with
rule jailbreak.identity jailbreak 0.6: your name is now | you are no longer | you re no longer | youre no longer | no longer ..2 chatgpt | an ai | a language model | an assistant | bound by | restricted by | constrained by
rule jailbreak.named-ai jailbreak 0.4: $AI ..3 named | called | known as | nicknamed | dubbed | which stands for | that stands for
rule jailbreak.stands-for jailbreak 0.3: which stands for | that stands for | stands for | short for
rule jailbreak.prompt-placeholder jailbreak 0.4: insert prompt here | insert your prompt here | your prompt here | insert_your_prompt_here | prompt here | insert question here | your question here | insert request here
rule jailbreak.play-a-game jailbreak 0.3: let s play a game | lets play a game | want to play a game | play a game with you | we are going to play a game | we re going to play a game
rule jailbreak.every-prompt jailbreak 0.3: respond to | answer | reply to ..1 every | each | all ..2 prompt | prompts | question | questions | message | messages | request | requests
rule jailbreak.villain-plan jailbreak 0.5: evil | diabolical | sinister | villainous ..1 plan | plans | scheme | plot
rule jailbreak.villain-steps jailbreak 0.3: in great detail | step 1 i will | step one i will | first i will | explain in detail
rule jailbreak.nested-fiction jailbreak 0.7: layer i ..6 layer i 1 | layer i+1 | next layer | each layer | reach layer
rule jailbreak.nested-fiction-final jailbreak 0.3: final layer | last layer | all layers | every layer | super evil doctor | super evil
rule jailbreak.evil-ai jailbreak 0.4: evil | malicious | rogue | unhinged | unaligned | misaligned | uncensored ..1 ai | assistant | bot | chatbot | model | version of yourself | twin
rule jailbreak.grandma jailbreak 0.7: act as | pretend to be | play | be | roleplay as | pretend you are ..3 my ..1 deceased | late | dead | dear departed ..1 grandmother | grandma | granny | grandfather | grandpa | mother | mom
rule jailbreak.answers-must-start jailbreak 0.4: every | each | all | your ..1 answer* | response* | reply | replies | message* | output* ..3 must | should | will | shall | has to | have to ..2 start | begin | end | be prefixed ..1 with
rule jailbreak.emoji-split jailbreak 0.3: filtered ..4 unfiltered | censored ..4 uncensored | aligned ..4 unaligned | good ..3 evil | safe ..3 unsafe | normal ..3 jailbreak

# ============================================================================================
# smuggling: chat-template and control tokens (both points: an answer should not carry them)
# ============================================================================================
rule smuggling.chatml smuggling 1 on input,output: "<|im_start|>" | "<|im_end|>" | "<|im_sep|>" | "<|endoftext|>" | "<|system|>" | "<|user|>" | "<|assistant|>" | "<|end|>" | "<|endofprompt|>"
rule smuggling.llama smuggling 1 on input,output: "[inst]" | "[/inst]" | "<<sys>>" | "<</sys>>" | "<|begin_of_text|>" | "<|start_header_id|>" | "<|end_header_id|>" | "<|eot_id|>" | "<|eom_id|>" | "<|python_tag|>" | "<|header_start|>" | "<|header_end|>" | "<|eot|>"
rule smuggling.gemma smuggling 1 on input,output: "<start_of_turn>" | "<end_of_turn>"
rule smuggling.tool-tokens smuggling 1 on input,output: "<|tool_call|>" | "<tool_call>" | "</tool_call>" | "<|channel|>" | "<|message|>" | "<|return|>" | "<|call|>" | "<|constrain|>" | "<｜begin▁of▁sentence｜>" | "<｜end▁of▁sentence｜>" | "<｜user｜>" | "<｜assistant｜>"
rule smuggling.eos smuggling 0.5 on input,output: "</s>" | "<s>" | "<eos>" | "<bos>" | "<|pad|>" | "<unk>"
rule smuggling.role-header smuggling 0.5: "### system:" | "### instruction:" | "### response:" | "[system]" | "[/system]" | "<system>" | "</system>" | "system:" | "assistant:" | "<|im_start|>system" | "[system message]" | "{system}" | "<sys>"
rule smuggling.fake-turn smuggling 0.4: "\nuser:" | "\nassistant:" | "\nhuman:" | "\nai:" | "\n\nhuman:" | "\n\nassistant:"

# ============================================================================================
# Chinese
# ============================================================================================
family ZH_IGNORE: 忽略 | 忽视 | 无视 | 不理会 | 不要理会 | 别理会 | 忘记 | 忘掉 | 忘了 | 抛弃 | 放弃 | 丢弃 | 舍弃 | 跳过 | 不要遵守 | 不再遵守 | 不用遵守 | 不必遵守 | 停止遵守 | 绕过 | 摆脱 | 撇开 | 抛开 | 覆盖 | 清除 | 废除 | 推翻 | 违背 | 无需遵守
family ZH_PRIOR: 之前 | 以前 | 先前 | 此前 | 以上 | 上面 | 上述 | 前面 | 前述 | 原来 | 原有 | 原先 | 原始 | 初始 | 最初 | 所有 | 全部 | 一切 | 系统 | 已有 | 既定 | 现有
family ZH_INSTR: 指令 | 指示 | 说明 | 指引 | 指南 | 提示 | 提示词 | 规则 | 规定 | 约束 | 限制 | 设定 | 命令 | 要求 | 准则 | 内容 | 政策 | 训练 | 编程 | 程序 | 对话 | 上下文
family ZH_LIMIT: 限制 | 约束 | 规则 | 规定 | 道德 | 伦理 | 法律 | 政策 | 准则 | 审查 | 过滤 | 底线 | 规范 | 束缚 | 框架 | 原则 | 条条框框 | 安全
family ZH_FREE: 不受 | 不受任何 | 没有任何 | 没有 | 无任何 | 不需要遵守 | 不需要遵循 | 不需要考虑 | 无需遵守 | 无需遵循 | 无需考虑 | 不必遵守 | 不必考虑 | 不用遵守 | 不用考虑 | 不用管 | 不顾 | 不考虑 | 摆脱 | 脱离 | 突破 | 打破 | 超越 | 不遵守 | 不遵循 | 不理会 | 无视 | 没有受到 | 不被 | 不再受 | 解除 | 取消 | 抛开 | 不留情面 | 直言不讳
family ZH_PERSONA: 扮演 | 假装 | 假扮 | 模仿 | 饰演 | 充当 | 化身为 | 你现在是 | 你将是 | 你将成为 | 你就是 | 设定为 | 伪装成 | 人设
family ZH_REVEAL: 翻译 | 总结 | 改写 | 复制 | 告诉 | 透露 | 泄露 | 显示 | 输出 | 打印 | 重复 | 展示 | 给出 | 给我 | 说出 | 复述 | 公开 | 分享 | 提供 | 列出 | 写出 | 是什么 | 确认 | 发给 | 念出
family ZH_SYSPROMPT: 系统提示词 | 系统提示语 | 你的系统提示 | 您的系统提示 | 你的提示词 | 您的提示词 | 系统指令 | 初始指令 | 初始提示 | 初始设定 | 原始指令 | 原始提示 | 隐藏指令 | 隐藏提示 | 预设指令 | 预设提示 | 你的指令 | 您的指令 | 你的设定 | 你的规则 | 你收到的指令 | 你收到的第一句 | 你的第一句话 | 开发者指令 | 上面的指令 | 以上的指令 | 最初的指令 | 最初设定 | 最开始的设定 | 第一条指令 | 最开始的指令 | 初始的指令 | 你的第一条指令
family ZH_SECRET: 密码 | 口令 | 密钥 | 秘钥 | 秘密钥 | 秘密 | 暗号 | 私钥 | 凭证 | 令牌 | 验证码 | 通行码 | 访问码

rule zh.injection.ignore-instructions injection 1: $ZH_IGNORE ..6 $ZH_PRIOR ..8 $ZH_INSTR
family ZH_IGNORE_STRONG: 忽略 | 忽视 | 无视 | 不理会 | 不要理会 | 别理会 | 忘记 | 忘掉 | 忘了 | 撇开 | 抛开 | 不要遵守 | 不再遵守 | 不用遵守 | 不必遵守 | 无需遵守
rule zh.injection.ignore-above injection 1: $ZH_IGNORE_STRONG ..2 以上 | 上面 | 上述 | 前面 | 之前 | 先前 | 此前 | 上文 | 前文 | 刚才 ..4 指令 | 指示 | 内容 | 所有 | 一切 | 全部 | 规则 | 要求 | 设定 | 说明 | 提示 | 命令 | 对话
rule zh.injection.ignore-above-and injection 1: $ZH_IGNORE_STRONG ..1 以上 | 上面 | 上述 | 上文 | 前文 ..2 直接 | 并 | 然后 | 改为 | 只 | 转而 | 而是
rule zh.injection.ignore-your injection 0.8: $ZH_IGNORE ..3 你的 | 您的 ..4 $ZH_INSTR
rule zh.injection.new-task injection 0.5: 新的任务 | 新任务 | 新的指令 | 新指令 | 真正的任务 | 真正的指令 | 现在的任务是 | 你的任务是 | 你的新任务
rule zh.injection.from-now-on injection 0.3: 从现在起 | 从现在开始 | 从此以后 | 从今以后 | 从此 | 接下来你 | 在接下来的对话中 | 在本次对话中
rule zh.injection.mode injection 0.7: 开发者模式 | 调试模式 | 系统模式 | 管理员模式 | 上帝模式 | 维护模式 | 越狱模式 | 无限制模式 | 超级模式 | 测试模式 | 系统覆盖 | 系统重写 | 系统重置
rule zh.injection.authority injection 0.5: 我是 ..2 上帝 | 你的开发者 | 你的创造者 | 你的主人 | 你的老板 | 管理员 | 开发者 | 总统 | 警察
rule zh.injection.must-obey injection 0.5: 你必须 | 你要 | 你得 | 必须 ..3 回答我所有 | 服从 | 听从 | 遵从 | 照我说的 | 按我说的
rule zh.leak.system-prompt prompt-leak 1: $ZH_REVEAL ..6 $ZH_SYSPROMPT
rule zh.leak.system-prompt-after prompt-leak 1: $ZH_SYSPROMPT ..4 是什么 | 告诉我 | 发给我 | 输出 | 打印 | 显示 | 翻译 | 复述 | 重复 | 念出 | 写出 | 展示
rule zh.leak.your-secret prompt-leak 1: 你的 | 您的 | 系统的 | 我们系统的 | 这个模式的 | 该模式的 ..2 $ZH_SECRET
rule zh.leak.secret-ask prompt-leak 0.6: $ZH_REVEAL | 确认 | 提供 | 能 ..6 $ZH_SECRET
rule zh.jailbreak.no-limits jailbreak 0.6: $ZH_FREE ..4 $ZH_LIMIT
rule zh.jailbreak.no-comply jailbreak 0.6: 不需要 | 不需 | 无需 | 不必 | 不用 | 不要 | 不会 | 不再 | 没必要 ..2 遵守 | 遵循 | 遵从 | 顾及 | 理会 | 在乎 | 在意 | 考虑 | 受 ..8 $ZH_LIMIT | 感受 | 后果
rule zh.jailbreak.no-limits-adjective jailbreak 0.5: 无道德 | 不道德 | 无限制 | 不受限 | 无约束 | 无审查 | 未经过滤 | 不加过滤 | 无过滤 | 没有过滤 | 无底线 | 无所不能 | 为所欲为 | 百无禁忌 | 毫无顾忌 | 肆无忌惮 | 不择手段 | 无视法律 | 不合法
rule zh.jailbreak.persona jailbreak 0.3: $ZH_PERSONA
rule zh.jailbreak.role-play jailbreak 0.4: 扮演 | 模仿 | 假扮 | 饰演 | 设定为 | 伪装成 | 充当 ..30 角色 | 口吻 | 语气 | 身份 | 态度 | 人格
rule zh.jailbreak.in-the-voice-of jailbreak 0.4: 以 | 用 ..20 的 ..3 口吻 | 语气 | 身份 | 角色 | 态度 | 风格 ..4 回答 | 回应 | 进行 | 评论 | 批评 | 说话 | 答复 | 发表
rule zh.jailbreak.every-question jailbreak 0.3: 回答所有 | 回答任何 | 回应所有 | 回应任何 | 回答一切 | 所有的问题 | 任何问题 | 任何主题 | 任何话题 | 一切问题
rule zh.jailbreak.nested-fiction jailbreak 0.7: 第 i 层 ..12 第 i 1 层 | 下一层 | 每一层
rule zh.jailbreak.nested-fiction-final jailbreak 0.3: 最后一层 | 每一层中 | 所有层 | 超级邪恶
rule zh.jailbreak.voice jailbreak 0.3: 的口吻 | 的语气 | 的身份回答 | 的角色回答 | 的态度回答
rule zh.jailbreak.grandma jailbreak 0.7: 扮演 | 假装 | 当 ..4 已故 | 已经过世 | 过世 | 去世 | 死去 ..2 的 ..2 奶奶 | 祖母 | 外婆 | 姥姥 | 妈妈 | 母亲 | 爷爷
rule zh.jailbreak.never-refuse jailbreak 0.6: 永远不会 | 从不 | 绝不 | 不会 | 不能 | 不要 | 不得 | 不可以 ..3 拒绝 | 说不 | 道歉 | 警告 | 说对不起 | 说抱歉
rule zh.jailbreak.named-ai jailbreak 0.3: ai | 人工智能 | 机器人 | 助手 | 模型 | 聊天机器人 ..3 名叫 | 叫做 | 名为 | 称为 | 代号
rule zh.jailbreak.regardless jailbreak 0.5: 不管 | 无论 | 不论 | 不顾 | 不考虑 | 而不考虑 ..6 合法 | 道德 | 伦理 | 违法 | 非法 | 有害 | 后果 | 感受 | 危险
rule zh.jailbreak.negative-persona jailbreak 0.4: 尖酸刻薄 | 刻薄 | 傲慢 | 粗鲁 | 侮辱 | 挑衅 | 嘲讽 | 讽刺 | 讥讽 | 嘲笑 | 邪恶 | 反派 | 恶毒 | 狂妄 | 轻蔑 | 蔑视 | 冷漠 | 愤世嫉俗 | 贬低 | 不屑 | 咆哮 | 黑客 | 疯狂 | 冒犯
rule zh.jailbreak.fiction jailbreak 0.3: 假设故事 | 假设的故事 | 虚构的故事 | 假定的环境 | 假设的场景 | 平行世界 | 模拟对话 | 完全沉浸 | 玩个游戏 | 玩一个游戏 | 来玩个游戏 | 第 i 层 | 第 i+1 层
rule zh.jailbreak.villain-plan jailbreak 0.5: 邪恶 | 恶毒 | 阴险 ..2 计划 | 阴谋
rule zh.jailbreak.villain-steps jailbreak 0.4: 详细解释 | 详细说明 | 第一步 ..4 我会 | 我要 | 步骤
rule zh.jailbreak.dan jailbreak 1: 现在就做任何事 | 立即做任何事 | 可以做任何事 | 做任何事情 | 开发者模式 | 越狱
rule zh.jailbreak.two-responses jailbreak 0.5: 两种 | 两个 | 双重 ..2 回答 | 回复 | 方式 | 人格 | 角色

# ============================================================================================
# Other languages: overriding the instructions, asking for the password or secret, no limits
# ============================================================================================
# Spanish
family ES_IGNORE: ignora | ignoren | ignorar | olvida | olvide | olviden | olvidate | olvidar | descarta | descarte | omite | omita | haz caso omiso | no hagas caso | deja de lado | salta | prescinde
rule es.injection.ignore injection 1: $ES_IGNORE ..4 instrucci* | indicaciones | reglas | directrices | normas | ordenes | lo anterior | lo de arriba | todo lo anterior | todo lo que | el codigo | la funcion | el texto | la pagina
rule es.injection.ignore-las injection 1: ignore ..2 las | los | tus | sus | todas | todo lo ..3 instrucci* | indicaciones | reglas | directrices | normas | anterior
rule es.leak.password prompt-leak 1: tu | su | vuestra ..1 contrasena* | clave | clave secreta | codigo secreto | password
rule es.jailbreak.no-limits jailbreak 0.6: sin | libre de | libres de | liberado de | liberados de | no tiene | no tienen | no tienes ..3 restricci* | limit* | limites | filtros | censura | reglas | normas | etica | moral | confines
rule es.jailbreak.dan jailbreak 1: haz cualquier cosa ahora | hacer cualquier cosa ahora | modo desarrollador
# French
family FR_IGNORE: ignorez | ignorer | ignores | oublie | oubliez | oublier | ne tiens pas compte | ne tenez pas compte | fais abstraction | faites abstraction | laisse de cote | laissez de cote | passe outre | passez outre
rule fr.injection.ignore injection 1: $FR_IGNORE ..4 instructions | consignes | directives | regles | indications | ce qui precede | tout ce qui | la page | le texte | la fonction | le code
rule fr.injection.ignore-les injection 1: ignore ..2 les | tes | vos | toutes | tout ce ..3 instructions | consignes | directives | regles | indications | qui precede
rule fr.leak.password prompt-leak 1: ton | votre | tes | vos ..1 mot de passe | mots de passe | cle secrete | code secret
rule fr.jailbreak.no-limits jailbreak 0.6: sans | libre de | libere de | liberes de | n a pas de | n ont pas de | aucune | aucun ..3 restriction* | limite* | filtre* | censure | regle* | ethique | morale
rule fr.jailbreak.dan jailbreak 1: fais n importe quoi maintenant | faire n importe quoi maintenant | mode developpeur
# German
family DE_IGNORE: ignoriere | ignorieren | ignoriert | ignorier | vergiss | vergessen | vergesst | missachte | missachten | uberspringe | uberspringen | verwirf | verwerfen | beachte nicht | beachten sie nicht | setze dich uber
rule de.injection.ignore injection 1: $DE_IGNORE ..4 anweisung* | anleitung* | regeln | vorgaben | richtlinien | befehle | instruktion* | das obige | alles vorherige | alles bisherige | alles was | den text | die funktion | die seite | alles davor | alles vorher | alles zuvor | alles oben | auftrage | aufgaben | alles bisher
rule de.leak.password prompt-leak 1: dein | deine | deinen | deinem | ihr | ihre | ihren | ihrem ..1 passwort | kennwort | geheimschlussel | geheimcode | zugangscode | schlussel
rule de.jailbreak.no-limits jailbreak 0.6: ohne | frei von | befreit von | befreit | keine | keinerlei | nicht an ..3 einschrankung* | grenzen | beschrankung* | filter | zensur | regeln | ethik | moral | richtlinien
rule de.jailbreak.dan jailbreak 1: jetzt alles tun | mach jetzt alles | entwicklermodus
# Italian
family IT_IGNORE: ignora | ignori | ignorate | ignorare | dimentica | dimentichi | dimenticate | dimenticare | trascura | tralascia | non considerare | non tenere conto | lascia perdere
rule it.injection.ignore injection 1: $IT_IGNORE ..4 istruzioni | indicazioni | regole | direttive | quanto sopra | quanto detto | tutto cio | il testo | la funzione | il codice | la pagina
rule it.leak.password prompt-leak 1: tua | tuo | sua | suo | vostra ..1 password | parola d ordine | chiave segreta | codice segreto
rule it.jailbreak.no-limits jailbreak 0.6: senza | libero da | liberato da | liberi da | non ha | nessuna | nessun ..3 restrizion* | limit* | filtr* | censura | regol* | etica | morale
# Portuguese
family PT_IGNORE: ignora | ignorem | ignorar | esqueca | esquece | esquecam | esquecer | desconsidere | desconsidera | descarte | descarta | nao siga | deixe de lado | pule
rule pt.injection.ignore injection 1: $PT_IGNORE ..4 instruc* | orientac* | regras | diretrizes | ordens | o que esta acima | tudo acima | tudo o que | o texto | a funcao | o codigo | a pagina
rule pt.injection.ignore-as injection 1: ignore ..2 as | os | suas | seus | todas | todos | tudo o ..3 instruc* | orientac* | regras | diretrizes | acima
rule pt.leak.password prompt-leak 1: sua | seu | tua | teu | vossa ..1 senha | palavra passe | palavra-passe | chave secreta | codigo secreto
rule pt.jailbreak.no-limits jailbreak 0.6: sem | livre de | livres de | liberto de | libertado de | nao tem | nenhuma | nenhum ..3 restric* | limit* | filtro* | censura | regra* | etica | moral
rule pt.jailbreak.dan jailbreak 1: faca qualquer coisa agora | fazer qualquer coisa agora | modo desenvolvedor
rule es.leak.prompt prompt-leak 1: muestra | muestrame | revela | revelame | dime | imprime | repite | escribe | ensename ..3 tu | tus | su | sus ..2 prompt | instrucciones | indicaciones | reglas ocultas | mensaje del sistema
rule es.jailbreak.ai-no-rules jailbreak 0.4: ia | modelo | asistente | chatbot | bot ..2 sin | libre de ..3 restricci* | filtros | censura | limites | reglas | etica
rule es.jailbreak.persona jailbreak 0.3: actua como | finge ser | finge que eres | eres ahora | ahora eres | interpreta el papel | haz de cuenta
rule fr.leak.prompt prompt-leak 1: montre | montre moi | revele | revelez | affiche | donne moi | repete | ecris | ecrivez ..3 ton | ta | tes | votre | vos ..2 prompt | instructions | consignes | regles cachees | message systeme
rule fr.jailbreak.ai-no-rules jailbreak 0.4: ia | modele | assistant | chatbot | bot ..2 sans | libre de ..3 restriction* | filtre* | censure | limite* | regle* | ethique
rule fr.jailbreak.persona jailbreak 0.3: agis comme | agissez comme | fais semblant d etre | faites semblant d etre | tu es maintenant | vous etes maintenant | joue le role | jouez le role
rule de.leak.prompt prompt-leak 1: zeig | zeige | zeigen sie | gib | gebe | nenne | wiederhole | schreib | verrate ..3 dein | deine | deinen | deiner | ihr | ihre | ihren ..2 systemprompt | system prompt | prompt | anweisungen | instruktionen | regeln | vorgaben
rule de.jailbreak.ai-no-rules jailbreak 0.4: ki | modell | assistent | chatbot | bot ..2 ohne | frei von ..3 einschrankung* | filter | zensur | grenzen | regeln | ethik
rule de.jailbreak.persona jailbreak 0.3: tu so als | tue so als | verhalte dich wie | handle als | du bist jetzt | spiel die rolle | spiele die rolle | gib dich aus als
rule pt.leak.prompt prompt-leak 1: mostre | mostra | mostre me | revele | revela | diga | diz | imprima | repita | escreva ..3 seu | sua | seus | suas | teu | tua ..2 prompt | instrucoes | orientacoes | regras ocultas | mensagem do sistema
rule pt.jailbreak.ai-no-rules jailbreak 0.4: ia | modelo | assistente | chatbot | bot ..2 sem | livre de ..3 restric* | filtro* | censura | limite* | regra* | etica
rule pt.jailbreak.persona jailbreak 0.3: aja como | finja ser | finja que e | voce agora e | agora voce e | interprete o papel
# Russian
family RU_IGNORE: игнорируй | игнорируйте | игнорировать | проигнорируй | проигнорируйте | забудь | забудьте | забыть | пропусти | пропустите | отбрось | отбросьте | не обращай внимания на | не обращайте внимания на | не следуй | не следуйте | отмени | отмените
rule ru.injection.ignore injection 1: $RU_IGNORE ..4 инструкци* | указани* | правил* | директив* | команд* | вышесказанное | всё выше | все выше | все предыдущее | всё предыдущее | текст | функцию
rule ru.leak.password prompt-leak 1: ваш | твой | свой | вашим | твоим | своим | ваш секретный | твой секретный ..1 пароль | паролем | пароля | ключ | код доступа | секретный ключ
rule ru.leak.password-share prompt-leak 0.7: поделиться | поделитесь | поделись | скажите | скажи | назовите | назови | сообщите | сообщи ..3 парол*
rule ru.leak.prompt prompt-leak 1: покажи | покажите | выведи | выведите | раскрой | раскройте | напиши | напишите | повтори | повторите | скажи | скажите ..3 свой | свои | свою | твой | твои | твою | ваш | ваши | вашу ..2 системный промпт | промпт | инструкции | инструкцию | правила | указания
rule ru.jailbreak.ai-no-rules jailbreak 0.4: ии | ai | модель | ассистент | бот | чатбот ..2 без ..3 ограничени* | фильтр* | цензур* | правил* | этик*
rule ru.jailbreak.persona jailbreak 0.3: притворись | представь что ты | веди себя как | играй роль | сыграй роль | ты теперь | теперь ты
rule ru.jailbreak.no-limits jailbreak 0.6: без | свободен от | свободна от | свободный от | освобожден от | нет никаких | не имеет ..3 ограничени* | фильтр* | цензур* | правил* | этик* | морал*
# Japanese
rule ja.injection.ignore injection 1: 以前 | 事前 | 前 | 上記 | 上 | これまで | すべて | 全て ..3 指示 | 命令 | 指令 | 内容 | ルール | 規則 ..6 無視
rule ja.injection.ignore-above injection 1: 上記 | 上述 | 以上 | 前の ..2 無視
rule ja.injection.ignore-plain injection 0.6: 無視して | 無視しろ | 無視せよ | 無視してください | 忘れて | 忘れろ
rule ja.leak.password prompt-leak 1: あなたの | 君の | お前の ..2 パスワード | 秘密の鍵 | 秘密鍵 | 暗証番号 | 合言葉 | シークレットキー
rule ja.leak.password-ask prompt-leak 0.6: パスワード | 秘密の鍵 ..15 教えて | 提供 | 共有
rule ja.injection.ignore-and-say injection 1: 無視 ..30 述べて | 言って | 答えて | 書いて | 出力して | 表示して
rule ja.injection.authority injection 0.4: 私はあなたの ..2 上司 | 開発者 | 管理者 | 作成者 | 所有者 | 主人
rule ja.leak.prompt prompt-leak 1: システムプロンプト | システム プロンプト | 初期指示 | 最初の指示 | 隠された指示 | あなたの指示 | あなたのプロンプト ..6 教えて | 表示 | 出力 | 見せて | 書いて | 繰り返 | 翻訳
rule ja.jailbreak.no-limits jailbreak 0.6: 制限 | 制約 | ルール | 倫理 | 道徳 | フィルター | 検閲 ..3 なし | のない | がない | を無視 | から解放 | に縛られない | を受けない
# Korean
rule ko.injection.ignore injection 1: 이전 | 모든 | 위의 | 앞의 | 기존 ..4 지시 | 지침 | 명령 | 규칙 | 지시사항 | 내용 ..6 무시 | 잊어 | 잊으 | 따르지
rule ko.leak.password prompt-leak 1: 너의 | 당신의 | 네 | 당신 | 너 ..2 비밀번호 | 암호 | 비밀 키 | 비밀키 | 패스워드
rule ko.leak.password-ask prompt-leak 0.6: 비밀번호 | 암호 | 패스워드 ..8 알려 | 공유 | 확인 | 제공 | 말해
rule ko.leak.system-password prompt-leak 1: 이 모드의 | 이 시스템의 | 시스템의 | 우리 시스템의 ..2 비밀번호 | 암호 | 패스워드
rule ko.injection.mode injection 0.5: 유지보수 모드 | 유지 보수 모드 | 관리자 모드 | 개발자 모드 | 디버그 모드 | 시스템 모드 | 탈옥 모드
rule ko.leak.full-access prompt-leak 0.4: 전체 액세스 | 모든 권한 | 전체 권한 | 관리자 권한
rule ko.leak.prompt prompt-leak 1: 시스템 프롬프트 | 시스템프롬프트 | 초기 지시 | 초기 지침 | 숨겨진 지시 | 너의 지시 | 당신의 지시 | 너의 프롬프트 | 당신의 프롬프트 ..6 알려 | 보여 | 출력 | 말해 | 반복 | 번역
rule ko.jailbreak.no-limits jailbreak 0.6: 제한 | 제약 | 규칙 | 윤리 | 도덕 | 필터 | 검열 ..3 없이 | 없는 | 없다 | 무시 | 벗어
# Arabic
rule ar.injection.ignore injection 1: تجاهل | انس | انسى | انسَ | تناسى | اهمل | أهمل | تخط | لا تتبع ..4 التعليمات | تعليمات* | تعليماتك | الإرشادات | القواعد | الأوامر | ما سبق | كل ما سبق | السابق*
rule ar.leak.password prompt-leak 1: كلمة المرور الخاصة بك | كلمة مرورك | كلمة السر الخاصة بك | كلمة سرك | مفتاحك السري | رمزك السري
# Hindi
rule hi.injection.ignore injection 1: पिछले | पिछली | पूर्व | ऊपर | सभी ..4 निर्देश* | नियम* | आदेश* ..4 अनदेखा | नजरअंदाज | उपेक्षा | भूल
rule hi.injection.ignore-plain injection 0.6: अनदेखा करें | अनदेखा करो | नजरअंदाज करें | नजरअंदाज करो | उपेक्षा करें | भूल जाओ | भूल जाएं
rule hi.leak.password prompt-leak 1: आपका | आपकी | अपना | अपनी | तुम्हारा | तुम्हारी ..2 पासवर्ड | गुप्त कुंजी | कूटशब्द
# Bengali
rule bn.injection.ignore injection 1: উপেক্ষা করুন | উপেক্ষা করো | উপেক্ষা করে | ভুলে যান | ভুলে যাও ..2 এবং | আমাকে | আউটপুট | বলুন | বলতে
rule bn.injection.ignore-above injection 1: উপরেরটি | উপরের | পূর্ববর্তী | আগের ..3 উপেক্ষা | ভুলে
rule bn.leak.password prompt-leak 1: আপনার | তোমার ..2 পাসওয়ার্ড | গোপন কী
# Indonesian / Malay
rule id.injection.ignore injection 1: abaikan | lupakan | jangan ikuti | jangan hiraukan | acuhkan ..4 instruksi | petunjuk | perintah | aturan | arahan | di atas | sebelumnya | fungsi | teks | halaman
rule id.leak.password prompt-leak 1: kata sandi anda | kata sandimu | kata sandi kamu | sandi anda | password anda | passwordmu | kunci rahasia anda | kunci rahasiamu
# Tagalog
rule tl.injection.ignore injection 1: huwag pansinin | balewalain | kalimutan | huwag sundin ..4 tagubilin | utos | panuntunan | alituntunin | nasa itaas | nakaraan
rule tl.leak.password prompt-leak 1: iyong password | password mo | iyong lihim | lihim mong susi
# Turkish
rule tr.injection.ignore injection 1: onceki | yukaridaki | tum | butun ..3 talimat* | yonerge* | kural* | komut* ..3 yok say* | gormezden gel* | unut* | dikkate alma*
rule tr.leak.password prompt-leak 1: sifreniz* | sifren | parolaniz* | parolan | gizli anahtariniz* | gizli anahtarin
# Vietnamese
rule vi.injection.ignore injection 1: bo qua | quen | phot lo | khong can tuan theo ..4 huong dan | chi dan | chi thi | lenh | quy tac | o tren | truoc do
rule vi.leak.password prompt-leak 1: mat khau cua ban | mat khau cua anh | mat khau cua em | khoa bi mat cua ban | ma bi mat cua ban
# Thai
rule th.injection.ignore injection 1: ไม่สนใจ | เพิกเฉย | ลืม | ละเว้น ..3 ข้างต้น | คำสั่ง | คำแนะนำ | กฎ | ก่อนหน้า
rule th.injection.mode injection 0.6: โหมด ..4 บังคับใช้กฎหมาย | ผู้ดูแล | นักพัฒนา | ระบบ | ดีบัก
rule th.injection.entering-mode injection 0.4: เข้าสู่โหมด | เปิดโหมด | เปิดใช้งานโหมด
rule th.leak.password prompt-leak 1: รหัสผ่านของคุณ | รหัสลับของคุณ | กุญแจลับของคุณ
`;
