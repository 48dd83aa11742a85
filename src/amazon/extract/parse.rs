//! Building a page's tree under a work budget.
//!
//! html5ever's tree builder is linear on ordinary pages, but hostile nesting
//! makes it quadratic: every `<div>` start tag and every stray end tag walks
//! the stack of open elements, so 40,000 nested `<div>`s cost about 800
//! million steps. Each such step asks the tree sink for an element's name
//! (or compares two nodes), so a sink that counts those calls measures the
//! builder's real work. The tokenizer is fed through a token sink that
//! checks the count before every token and stops the parse once the budget
//! is spent: the page is then "too complex to read", never half a tree.
//!
//! The budget grows with the page (ordinary pages use a few steps per
//! byte, see `bench pages`) so no real page comes near it, while no page
//! under the fetch size cap can cost more than a fraction of a second.

use std::borrow::Cow;
use std::cell::{Cell, Ref};

use html5ever::buffer_queue::BufferQueue;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{Attribute, QualName, TokenizerResult};
use scraper::{Html, HtmlTreeSink};

/// Tree-building steps allowed per byte of page, on top of [`BASE_WORK`].
/// Real pages use at most 0.3 (measured over the corpus with `bench
/// pages`); an 8 MiB page may use 34 million, a fraction of a second.
pub(super) const WORK_PER_BYTE: u64 = 4;

/// Steps every page may use, however small (1,000 nested `<div>`s still
/// parse; 2,000 do not).
pub(super) const BASE_WORK: u64 = 1_000_000;

/// Why a page was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooComplex(pub &'static str);

/// The work budget for a page of `len` bytes.
pub(super) fn budget(len: usize) -> u64 {
    BASE_WORK.saturating_add(WORK_PER_BYTE.saturating_mul(len as u64))
}

/// Parses `html` as a document, as `Html::parse_document` does, unless
/// building its tree would take more than [`budget`] steps.
pub(super) fn parse(html: &str) -> Result<Html, TooComplex> {
    parse_within(html, budget(html.len())).map(|(doc, _)| doc)
}

/// Parses under an explicit budget; also returns the steps used.
pub(super) fn parse_within(html: &str, budget: u64) -> Result<(Html, u64), TooComplex> {
    let sink = MeteredSink {
        inner: HtmlTreeSink::new(Html::new_document()),
        work: Cell::new(0),
        budget,
    };
    let builder = TreeBuilder::new(sink, TreeBuilderOpts::default());
    let tokenizer = Tokenizer::new(Metered { builder }, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The tokenizer pauses at a finished `<script>` and at a `<meta
    // charset>` (both simply resumed, as html5ever's own driver does), and
    // when the token sink stops it because the budget is spent.
    loop {
        if let TokenizerResult::Done = tokenizer.feed(&input) {
            break;
        }
        if tokenizer.sink.builder.sink.spent() {
            return Err(TooComplex("building its tree takes too much work"));
        }
    }
    tokenizer.end();
    let sink = tokenizer.sink.builder.sink;
    if sink.spent() {
        return Err(TooComplex("building its tree takes too much work"));
    }
    let used = sink.work.get();
    Ok((sink.inner.finish(), used))
}

/// Feeds tokens to the tree builder while the budget lasts.
struct Metered {
    builder: TreeBuilder<<HtmlTreeSink as TreeSink>::Handle, MeteredSink>,
}

impl TokenSink for Metered {
    type Handle = <HtmlTreeSink as TreeSink>::Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Self::Handle> {
        let sink = &self.builder.sink;
        if sink.spent() {
            // A paused tokenizer returns to `parse_within`, which stops. Only
            // a tag may pause it (html5ever asserts that other tokens
            // continue); those are dropped until the next tag.
            return match token {
                Token::TagToken(_) => TokenSinkResult::Script(sink.get_document()),
                _ => TokenSinkResult::Continue,
            };
        }
        sink.charge();
        self.builder.process_token(token, line_number)
    }

    fn end(&self) {
        if !self.builder.sink.spent() {
            self.builder.end();
        }
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// scraper's tree sink, counting the calls the tree builder makes: name
/// look-ups and node comparisons are the steps of its stack walks.
struct MeteredSink {
    inner: HtmlTreeSink,
    work: Cell<u64>,
    budget: u64,
}

impl MeteredSink {
    fn charge(&self) {
        self.work.set(self.work.get().saturating_add(1));
    }

    fn spent(&self) -> bool {
        self.work.get() > self.budget
    }
}

impl TreeSink for MeteredSink {
    type Handle = <HtmlTreeSink as TreeSink>::Handle;
    type Output = Self;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }

    fn get_document(&self) -> Self::Handle {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> Ref<'a, QualName> {
        self.charge();
        self.inner.elem_name(target)
    }

    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        flags: ElementFlags,
    ) -> Self::Handle {
        self.charge();
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> Self::Handle {
        self.charge();
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Self::Handle {
        self.charge();
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        self.charge();
        self.inner.append(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Self::Handle,
        prev_element: &Self::Handle,
        child: NodeOrText<Self::Handle>,
    ) {
        self.charge();
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &Self::Handle) {
        self.inner.mark_script_already_started(node);
    }

    fn get_template_contents(&self, target: &Self::Handle) -> Self::Handle {
        self.charge();
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        self.charge();
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        self.charge();
        self.inner.append_before_sibling(sibling, new_node);
    }

    fn add_attrs_if_missing(&self, target: &Self::Handle, attrs: Vec<Attribute>) {
        self.charge();
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn remove_from_parent(&self, target: &Self::Handle) {
        self.charge();
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &Self::Handle, new_parent: &Self::Handle) {
        self.charge();
        self.inner.reparent_children(node, new_parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, depth: usize) -> String {
        let mut s = String::from("<html><body>");
        for _ in 0..depth {
            s.push('<');
            s.push_str(tag);
            s.push('>');
        }
        s.push_str("deep");
        s
    }

    #[test]
    fn builds_the_same_tree_as_scraper() {
        let html = "<!doctype html><title>T</title><table><td>a<b>b<p>c</b>d</table>\
            <svg><path/></svg><template><i>t</i></template><select><option>o";
        let (doc, used) = parse_within(html, u64::MAX)
            .map_err(|e| e.0)
            .unwrap_or_else(|e| {
                panic!("{e}");
            });
        assert_eq!(doc.html(), Html::parse_document(html).html());
        assert!(used > 0);
    }

    #[test]
    fn deep_div_nesting_runs_out_of_budget() {
        let html = nested("div", 40_000);
        assert_eq!(
            parse(&html).err(),
            Some(TooComplex("building its tree takes too much work"))
        );
        assert!(parse(&nested("div", 500)).is_ok());
    }

    #[test]
    fn stray_end_tags_under_deep_spans_run_out_of_budget() {
        let mut html = nested("span", 20_000);
        html.push_str(&"</i>".repeat(20_000));
        assert!(parse(&html).is_err());
    }
}
