"use strict";(self.rspackChunkcertlab_labextension=self.rspackChunkcertlab_labextension||[]).push([[232],{18(e,r,t){var a=t(19),o=t.n(a),n=t(20),c=(t.n(n))()(o());c.push([e.id,`/* certlab: the Check panel (right sidebar) and the progress panel (left sidebar). */
.certlab-check,
.certlab-progress {
  padding: 8px 12px;
  overflow-y: auto;
  font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color1);
  background: var(--jp-layout-color1);
  min-width: 300px;
}

.certlab-check h2,
.certlab-progress h2 {
  font-size: var(--jp-ui-font-size2);
  margin: 4px 0 8px;
}

.certlab-progress h3 {
  font-size: var(--jp-ui-font-size1);
  margin: 12px 0 4px;
  text-transform: uppercase;
  color: var(--jp-ui-font-color2);
}

.certlab-progress-header {
  display: flex;
  justify-content: space-between;
  align-items: center;
}

.certlab-muted {
  color: var(--jp-ui-font-color2);
}

.certlab-check-path {
  word-break: break-all;
}

.certlab-total {
  font-weight: bold;
  font-size: var(--jp-ui-font-size2);
}

.certlab-exercises {
  list-style: none;
  padding: 0;
  margin: 0;
}

.certlab-exercise {
  border-left: 4px solid var(--jp-border-color1);
  padding: 6px 8px;
  margin: 6px 0;
  background: var(--jp-layout-color2);
}

.certlab-exercise.certlab-pass {
  border-left-color: var(--jp-success-color1);
}

.certlab-exercise.certlab-fail {
  border-left-color: var(--jp-error-color1);
}

.certlab-exercise-head {
  display: flex;
  gap: 8px;
  align-items: baseline;
}

.certlab-exercise-name {
  font-weight: bold;
  flex: 1;
}

.certlab-badge {
  border-radius: 3px;
  padding: 0 6px;
  color: white;
  font-size: var(--jp-ui-font-size0);
  text-transform: uppercase;
}

.certlab-pass .certlab-badge {
  background: var(--jp-success-color1);
}

.certlab-fail .certlab-badge {
  background: var(--jp-error-color1);
}

.certlab-reason {
  margin: 4px 0;
}

.certlab-actions {
  display: flex;
  gap: 6px;
  flex-wrap: wrap;
  margin-top: 4px;
}

.certlab-hint {
  margin-top: 6px;
  padding: 4px 8px;
  border: 1px dashed var(--jp-border-color1);
  background: var(--jp-layout-color1);
}

.certlab-hint-label {
  font-weight: bold;
}

.certlab-running progress {
  width: 100%;
  margin: 6px 0;
}

.certlab-problem-box {
  border-left: 4px solid var(--jp-warn-color1);
  padding: 6px 8px;
  background: var(--jp-layout-color2);
}

.certlab-problem {
  font-weight: bold;
}

.certlab-warning {
  color: var(--jp-warn-color1);
}

.certlab-progress table {
  width: 100%;
  border-collapse: collapse;
  table-layout: fixed;
}

.certlab-progress th.certlab-num,
.certlab-progress td.certlab-num {
  width: 4.2em;
}

.certlab-assignments td:first-child div:first-child {
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.certlab-progress td,
.certlab-progress th {
  padding: 3px 4px;
  border-bottom: 1px solid var(--jp-border-color2);
  text-align: left;
  vertical-align: top;
}

.certlab-progress .certlab-num {
  text-align: right;
  white-space: nowrap;
}

.certlab-exam-select {
  width: 100%;
  margin-bottom: 6px;
}

.certlab-readiness {
  font-weight: bold;
}

.certlab-bar {
  position: relative;
  height: 6px;
  background: var(--jp-layout-color3);
  margin: 2px 0;
}

.certlab-bar-coverage {
  position: absolute;
  height: 100%;
  background: var(--jp-border-color1);
}

.certlab-bar-value {
  position: absolute;
  height: 100%;
  background: var(--jp-brand-color1);
}

.certlab-attempted td:first-child {
  font-weight: bold;
}
`,""]),t.d(r,{},{A:c})},20(e){e.exports=function(e){var r=[];return r.toString=function(){return this.map(function(r){var t="",a=void 0!==r[5];return r[4]&&(t+="@supports (".concat(r[4],") {")),r[2]&&(t+="@media ".concat(r[2]," {")),a&&(t+="@layer".concat(r[5].length>0?" ".concat(r[5]):""," {")),t+=e(r),a&&(t+="}"),r[2]&&(t+="}"),r[4]&&(t+="}"),t}).join("")},r.i=function(e,t,a,o,n){"string"==typeof e&&(e=[[null,e,void 0]]);var c={};if(a)for(var l=0;l<this.length;l++){var i=this[l][0];null!=i&&(c[i]=!0)}for(var s=0;s<e.length;s++){var p=[].concat(e[s]);a&&c[p[0]]||(void 0!==n&&(void 0===p[5]||(p[1]="@layer".concat(p[5].length>0?" ".concat(p[5]):""," {").concat(p[1],"}")),p[5]=n),t&&(p[2]&&(p[1]="@media ".concat(p[2]," {").concat(p[1],"}")),p[2]=t),o&&(p[4]?(p[1]="@supports (".concat(p[4],") {").concat(p[1],"}"),p[4]=o):p[4]="".concat(o)),r.push(p))}},r}},19(e){e.exports=function(e){return e[1]}},12(e){var r=[];function t(e){for(var t=-1,a=0;a<r.length;a++)if(r[a].identifier===e){t=a;break}return t}function a(e,a){for(var o={},n=[],c=0;c<e.length;c++){var l=e[c],i=a.base?l[0]+a.base:l[0],s=o[i]||0,p="".concat(i," ").concat(s);o[i]=s+1;var d=t(p),u={css:l[1],media:l[2],sourceMap:l[3],supports:l[4],layer:l[5]};if(-1!==d)r[d].references++,r[d].updater(u);else{var b=function(e,r){var t=r.domAPI(r);return t.update(e),function(r){r?(r.css!==e.css||r.media!==e.media||r.sourceMap!==e.sourceMap||r.supports!==e.supports||r.layer!==e.layer)&&t.update(e=r):t.remove()}}(u,a);a.byIndex=c,r.splice(c,0,{identifier:p,updater:b,references:1})}n.push(p)}return n}e.exports=function(e,o){var n=a(e=e||[],o=o||{});return function(e){e=e||[];for(var c=0;c<n.length;c++){var l=t(n[c]);r[l].references--}for(var i=a(e,o),s=0;s<n.length;s++){var p=t(n[s]);0===r[p].references&&(r[p].updater(),r.splice(p,1))}n=i}}},14(e){var r={};e.exports=function(e,t){var a=function(e){if(void 0===r[e]){var t=document.querySelector(e);if(window.HTMLIFrameElement&&t instanceof window.HTMLIFrameElement)try{t=t.contentDocument.head}catch(e){t=null}r[e]=t}return r[e]}(e);if(!a)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");a.appendChild(t)}},16(e){e.exports=function(e){var r=document.createElement("style");return e.setAttributes(r,e.attributes),e.insert(r,e.options),r}},15(e,r,t){e.exports=function(e){var r=t.nc;r&&e.setAttribute("nonce",r)}},13(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var r=e.insertStyleElement(e);return{update:function(t){var a,o,n;a="",t.supports&&(a+="@supports (".concat(t.supports,") {")),t.media&&(a+="@media ".concat(t.media," {")),(o=void 0!==t.layer)&&(a+="@layer".concat(t.layer.length>0?" ".concat(t.layer):""," {")),a+=t.css,o&&(a+="}"),t.media&&(a+="}"),t.supports&&(a+="}"),(n=t.sourceMap)&&"u">typeof btoa&&(a+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(n))))," */")),e.styleTagTransform(a,r,e.options)},remove:function(){var e;null===(e=r).parentNode||e.parentNode.removeChild(e)}}}},17(e){e.exports=function(e,r){if(r.styleSheet)r.styleSheet.cssText=e;else{for(;r.firstChild;)r.removeChild(r.firstChild);r.appendChild(document.createTextNode(e))}}},11(e,r,t){var a=t(12),o=t.n(a),n=t(13),c=t.n(n),l=t(14),i=t.n(l),s=t(15),p=t.n(s),d=t(16),u=t.n(d),b=t(17),f=t.n(b),g=t(18),h={};h.styleTagTransform=f(),h.setAttributes=p(),h.insert=i().bind(null,"head"),h.domAPI=c(),h.insertStyleElement=u(),o()(g.A,h),g.A&&g.A.locals&&g.A.locals}}]);