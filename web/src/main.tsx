import './zod-jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { preloadEditor } from './pages/DocumentEditor';
import './styles.css';

// A document window (`?doc=`) shows the editor at once: fetch it in parallel.
if (new URLSearchParams(window.location.search).has('doc')) preloadEditor();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
