// Streamdown's lazily loaded code block body (vite.config.ts aliases the
// specifier to its file in streamdown/dist), imported only to have it loaded
// before Streamdown first asks for it (src/chat/Markdown.tsx).
declare module 'streamdown/highlighted-body' {
  export const HighlightedCodeBlockBody: unknown;
}

// Shiki's bundled languages, listed at build time (vite.config.ts).
declare module 'virtual:shiki-languages' {
  export const languageIds: string[];
  export const languageAliases: Record<string, string>;
}
