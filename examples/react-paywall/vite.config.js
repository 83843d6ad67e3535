import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build is served by stiggql under /examples/paywall/ (--example-paywall);
// `npm run dev` serves the same page at http://localhost:5173/examples/paywall/.
export default defineConfig({
  base: '/examples/paywall/',
  plugins: [react()],
  build: { outDir: 'dist', chunkSizeWarningLimit: 4000 },
});
