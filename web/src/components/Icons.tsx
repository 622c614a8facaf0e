// Icons drawn as SVG: an emoji would be a missing-glyph box where no emoji
// font is installed (a minimal Debian has none). Decorative: the text
// beside each says what it is.

const common = {
  viewBox: '0 0 16 16',
  width: '1em',
  height: '1em',
  'aria-hidden': true,
  focusable: false,
} as const;

/** A picture (a remote image that was not loaded). */
export function PictureIcon() {
  return (
    <svg className="icon" {...common}>
      <rect x="1.5" y="2.5" width="13" height="11" rx="1.5" fill="none" stroke="currentColor" />
      <circle cx="5.5" cy="6" r="1.25" fill="currentColor" />
      <path d="M2 12.5l4-4 3 3 2-2 3.5 3.5" fill="none" stroke="currentColor" strokeLinejoin="round" />
    </svg>
  );
}

/** A folder (a directory in a listing). */
export function FolderIcon() {
  return (
    <svg className="icon" {...common}>
      <path
        d="M1.5 3.5h4.5l1.5 1.5h7v8.5h-13z"
        fill="none"
        stroke="currentColor"
        strokeLinejoin="round"
      />
    </svg>
  );
}
