import { createBridge } from '@alga/iframe-sdk';
import { Button, ThemeProvider } from '@alga/ui-kit';
import { createRoot } from 'react-dom/client';

const bridge = createBridge();
(window as unknown as { child: { ready: Promise<string> } }).child = {
  ready: bridge.ready.then(
    () => 'ready',
    (error: { code: string }) => `failed:${error.code}`,
  ),
};
createRoot(document.getElementById('root') as HTMLElement).render(
  <ThemeProvider bridge={bridge}>
    <main>
      <Button>Themed</Button>
    </main>
  </ThemeProvider>,
);
