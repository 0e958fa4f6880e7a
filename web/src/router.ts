/**
 * Routes. History mode on '/': Django answers every non-API path with the
 * dashboard's index.html, while the assets live under /static/dashboard/.
 * Views are imported eagerly (the main bundle is about 100 kB gzipped), but
 * the charts page is loaded when first opened: Chart.js is about 60 kB more,
 * and no other page needs it.
 */
import { nextTick } from 'vue'
import { createRouter, createWebHistory, type RouterHistory } from 'vue-router'
import { safeNext } from './lib/navigation'
import { useAuthStore } from './stores/auth'
import AgentDetailView from './views/AgentDetailView.vue'
import AgentEditView from './views/AgentEditView.vue'
import AgentListView from './views/AgentListView.vue'
import DocumentsView from './views/DocumentsView.vue'
import ExecutionDetailView from './views/ExecutionDetailView.vue'
import LoginView from './views/LoginView.vue'
import MemoryView from './views/MemoryView.vue'
import NotFoundView from './views/NotFoundView.vue'
import RoomListView from './views/RoomListView.vue'
import RoomView from './views/RoomView.vue'
import RunsView from './views/RunsView.vue'
import ThreadListView from './views/ThreadListView.vue'
import ThreadView from './views/ThreadView.vue'
import WorkersView from './views/WorkersView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without logging in. */
    public?: boolean
    title?: string
  }
}

export function createAppRouter(history: RouterHistory = createWebHistory('/')) {
  const router = createRouter({
    history,
    routes: [
      { path: '/', redirect: '/agents' },
      {
        path: '/login',
        name: 'login',
        component: LoginView,
        meta: { public: true, title: 'Log in' },
      },
      { path: '/agents', name: 'agents', component: AgentListView, meta: { title: 'Agents' } },
      {
        path: '/agents/new',
        name: 'agent-new',
        component: AgentEditView,
        meta: { title: 'New agent' },
      },
      {
        path: '/agents/:id',
        name: 'agent',
        component: AgentDetailView,
        props: true,
        meta: { title: 'Agent' },
      },
      {
        path: '/agents/:id/edit',
        name: 'agent-edit',
        component: AgentEditView,
        props: true,
        meta: { title: 'Edit agent' },
      },
      {
        path: '/agents/:id/documents',
        name: 'agent-documents',
        component: DocumentsView,
        props: true,
        meta: { title: 'Knowledge documents' },
      },
      {
        path: '/executions/:id',
        name: 'execution',
        component: ExecutionDetailView,
        props: true,
        meta: { title: 'Execution' },
      },
      { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
      { path: '/threads', name: 'threads', component: ThreadListView, meta: { title: 'Threads' } },
      {
        path: '/threads/:id',
        name: 'thread',
        component: ThreadView,
        props: true,
        meta: { title: 'Conversation' },
      },
      { path: '/rooms', name: 'rooms', component: RoomListView, meta: { title: 'Rooms' } },
      {
        path: '/rooms/:id',
        name: 'room',
        component: RoomView,
        props: true,
        meta: { title: 'Room' },
      },
      { path: '/memory', name: 'memory', component: MemoryView, meta: { title: 'Memory' } },
      // Staff only: the page says so to others (the endpoints answer them 403).
      { path: '/workers', name: 'workers', component: WorkersView, meta: { title: 'Workers and queues' } },
      // Not /metrics: that is the backend's Prometheus endpoint.
      { path: '/charts', name: 'charts', component: () => import('./views/ChartsView.vue'), meta: { title: 'Charts' } },
      {
        path: '/:pathMatch(.*)*',
        name: 'not-found',
        component: NotFoundView,
        meta: { public: true, title: 'Not found' },
      },
    ],
  })

  router.beforeEach(async (to) => {
    const auth = useAuthStore()
    if (!auth.checked) await auth.fetchMe().catch(() => null)
    if (to.name === 'login' && auth.isLoggedIn) return safeNext(to.query.next)
    if (!to.meta.public && !auth.isLoggedIn) return { name: 'login', query: { next: to.fullPath } }
    return true
  })

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Agent platform` : 'Agent platform'
    // Move focus to the new page so keyboard and screen reader users start there.
    void nextTick(() => document.getElementById('main')?.focus({ preventScroll: true }))
  })

  return router
}
