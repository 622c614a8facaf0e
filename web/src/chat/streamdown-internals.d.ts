// Streamdown's lazily loaded code block body (vite.config.ts aliases the
// specifier to its file in streamdown/dist), imported only to have it loaded
// before Streamdown first asks for it (src/chat/Markdown.tsx).
declare module 'streamdown/highlighted-body' {
  export const HighlightedCodeBlockBody: unknown;
}
