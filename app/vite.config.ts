// SvelteKit 3 takes its options here (it no longer reads svelte.config.js).
// The app is a static single-page app: the API serves app/build at `/` and answers under `/api`.
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `vite dev` forwards /api to a running API (`npm start` at the repository root) so cookies stay same-origin.
const apiUrl = process.env.COMPLYWISE_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [
    sveltekit({
      // Every URL that is not a file falls back to index.html; the client router takes it from there.
      adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    }),
  ],
  server: { proxy: { '/api': { target: apiUrl, changeOrigin: false } } },
});
