// Inbox keyboard shortcuts. Loaded as a module (CSP: scripts from this origin only).
// j / k: next / previous conversation, r: reply, n: private note, a: assign to me,
// e: resolve, s: snooze, /: search. Ignored while typing, except Escape leaves the field.
let handler = null;

export function register(dotnet) {
    unregister();
    handler = (ev) => {
        const t = ev.target;
        const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
        if (typing) {
            if (ev.key === 'Escape') { t.blur(); }
            return;
        }
        if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
        const keys = ['j', 'k', 'r', 'n', 'a', 'e', 's', '/'];
        if (!keys.includes(ev.key)) { return; }
        ev.preventDefault();
        dotnet.invokeMethodAsync('OnShortcut', ev.key);
    };
    document.addEventListener('keydown', handler);
    // Lets scripted browsers (and curious people) tell that the shortcuts are live.
    document.documentElement.dataset.shortcuts = 'on';
}

export function unregister() {
    if (handler) { document.removeEventListener('keydown', handler); handler = null; }
    delete document.documentElement.dataset.shortcuts;
}

export function focus(id) {
    const el = document.getElementById(id);
    if (el) { el.focus(); }
}

export function scrollIntoView(id) {
    const el = document.getElementById(id);
    if (el) { el.scrollIntoView({ block: 'nearest' }); }
}

// The conversation reads top to bottom, newest last: opening one shows its end, and while the agent
// is at the end, new messages (and a composer panel taking room) keep it in view. Scrolled up to
// read history, nothing moves under them.
let follow = null;

export function followTimeline(id, reset) {
    const el = document.getElementById(id);
    if (!el) { return; }
    if (!follow || follow.el !== el) {
        if (follow) { follow.dispose(); }
        const state = { el, atEnd: true };
        const onScroll = () => { state.atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 60; };
        const keep = () => { if (state.atEnd) { el.scrollTop = el.scrollHeight; } };
        el.addEventListener('scroll', onScroll, { passive: true });
        const added = new MutationObserver(keep);
        added.observe(el, { childList: true, subtree: true });
        const resized = new ResizeObserver(keep);
        resized.observe(el);
        state.dispose = () => { el.removeEventListener('scroll', onScroll); added.disconnect(); resized.disconnect(); };
        follow = state;
        reset = true;
    }
    if (reset) {
        follow.atEnd = true;
        el.scrollTop = el.scrollHeight;
    }
}
