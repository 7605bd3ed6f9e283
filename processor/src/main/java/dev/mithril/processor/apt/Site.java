package dev.mithril.processor.apt;

import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;

/**
 * Where a front-end error is reported: the user's element and, when one annotation is to blame,
 * that annotation (so the IDE underlines it). Used as the {@code origin} of front-end
 * {@link dev.mithril.dsl.ir.IrError}s; graph nodes themselves carry the plain method element.
 */
record Site(Element element, AnnotationMirror annotation) {
    static Site of(Element element) { return new Site(element, null); }
}
