import DemarcCore

/// The live view's page: HTML, script and style served as files of their own, so the
/// Content-Security-Policy allows scripts and styles from the server only (no inline
/// code). Server-rendered parts (verdict, party cards, boundary SVG) are the html
/// report's, escaped there; everything from the traffic is set as text.
enum LiveViewPage {
    static let html = """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>demarc live</title>
    <link rel="stylesheet" href="/live.css">
    <script src="/live.js" defer></script>
    </head><body>
    <h1>demarc live: <span id="scenario"></span> <span id="conn" class="meta">connecting…</span></h1>
    <div id="verdict-box"></div>
    <div class="stats">
    <div class="card"><h3>Packets per second</h3><div class="num" id="pps">0</div><div class="meta"><span id="packets">0</span> packets read</div></div>
    <div class="card"><h3>Dropped</h3><div class="num" id="drops">0</div><div class="meta">kernel <span id="kernel">0</span> · queue <span id="queue">0</span></div></div>
    <div class="card"><h3>Open flows</h3><div class="num" id="open-flows">0</div><div class="meta"><span id="ended">0</span> ended</div></div>
    </div>
    <div id="notice" class="notice" hidden></div>
    <h2>Parties</h2>
    <div class="cards" id="parties"></div>
    <h2>The boundary</h2>
    <p class="meta">What the provider operates is inside its boundary (dashed); each line is the flows of one service between two places, coloured by their worst finding (green: none). Click a place or a line to filter the page to it.</p>
    <div id="place-filter" class="chip" hidden><span id="place-text"></span> <button id="place-clear" type="button">clear</button></div>
    <div id="boundary-box"></div>
    <h2>Open flows in cleartext where encryption is required</h2>
    <table id="open"><thead><tr><th>transport</th><th>client</th><th>server</th><th>segment</th><th>party</th><th>application</th><th>packets</th><th>bytes</th><th>findings</th></tr></thead><tbody></tbody></table>
    <p id="open-none" class="meta">None.</p>
    <h2>Findings</h2>
    <ul class="findings" id="findings"></ul>
    <p id="findings-none" class="meta">No findings.</p>
    <h2>Latest flows</h2>
    <input id="filter" placeholder="Filter flows (address, zone, protocol, finding…)"> <span id="shown" class="meta"></span>
    <table id="flows"><thead><tr><th>id</th><th>transport</th><th>client</th><th>server</th><th>segment</th><th>party</th><th>encryption</th><th>server name</th><th>application</th><th>packets</th><th>bytes</th><th>rule</th><th>findings</th></tr></thead><tbody></tbody></table>
    </body></html>

    """

    static let style = HTMLReportWriter.style + """

    [hidden]{display:none!important}
    .stats{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}
    #boundary{max-width:100%;height:auto}
    g.place,path.edge{cursor:pointer}path.edge:hover{stroke-width:4}
    .chip{display:inline-block;background:#fff3bf;border:1px solid #e0c060;border-radius:6px;padding:3px 8px;margin-bottom:8px}
    .notice{background:#fff3bf;border:1px solid #e0c060;border-radius:6px;padding:6px 10px;margin:8px 0}
    td.v{cursor:pointer}td.v:hover{text-decoration:underline}td.n{white-space:nowrap}
    .accepted{color:#5b6570;font-style:italic}
    tr.sev-critical td:first-child,tr.sev-high td:first-child{border-left:4px solid #d9480f}
    #conn.live{color:#2b8a3e}#conn.down{color:#c92a2a}
    """

    static let script = #"""
    (function(){
      'use strict';
      var $=function(id){return document.getElementById(id);};
      var rows=500,place=null,flows=$('flows').tBodies[0],filter=$('filter');
      function text(el,v){el.textContent=v==null?'':String(v);}
      function cell(tr,v,cls,clickable){var td=document.createElement('td');text(td,v);if(cls)td.className=cls;
        if(clickable&&v!==''){td.classList.add('v');td.title='filter by this value';}tr.appendChild(td);return td;}
      function placeMatch(zones){if(!place)return true;
        if(place.edge)return zones.indexOf(place.from)>=0&&zones.indexOf(place.to)>=0;
        return zones.indexOf(place.name)>=0;}
      function apply(){
        var q=filter.value.toLowerCase(),n=0;
        for(var i=0;i<flows.rows.length;i++){var r=flows.rows[i];
          var hit=r.textContent.toLowerCase().indexOf(q)>=0&&placeMatch(r._zones||[]);
          r.hidden=!hit;if(hit)n++;}
        text($('shown'),n+' of '+flows.rows.length+' flows shown');
        var lis=document.querySelectorAll('#findings li.entry');
        for(var j=0;j<lis.length;j++)lis[j].hidden=!placeMatch(lis[j]._zones||[]);
        var ors=$('open').tBodies[0].rows;
        for(var k=0;k<ors.length;k++)ors[k].hidden=!placeMatch(ors[k]._zones||[]);
        if(history.replaceState)history.replaceState(null,'',filter.value?'#q='+encodeURIComponent(filter.value):location.pathname);
      }
      filter.addEventListener('input',apply);
      var m=/^#q=(.*)$/.exec(location.hash);if(m)filter.value=decodeURIComponent(m[1]);
      // A click on a value in the table filters by it.
      $('flows').addEventListener('click',function(e){var td=e.target.closest('td.v');if(!td)return;filter.value=td.textContent;apply();});
      function setPlace(p){place=p;var c=$('place-filter');c.hidden=!p;
        text($('place-text'),p?(p.edge?'line: '+p.from+' → '+p.to:'place: '+p.name):'');apply();}
      $('place-clear').addEventListener('click',function(){setPlace(null);});
      $('boundary-box').addEventListener('click',function(e){
        var g=e.target.closest('g.place');if(g){setPlace({name:g.getAttribute('data-place')});return;}
        var p=e.target.closest('path.edge');if(p){setPlace({edge:true,from:p.getAttribute('data-from'),to:p.getAttribute('data-to')});}
      });
      function flowRow(f,open){
        var tr=document.createElement('tr');tr._zones=f.zones;if(f.worst)tr.className='sev-'+f.worst;
        if(!open){cell(tr,f.id,'n');}
        cell(tr,f.transport,'',!open);cell(tr,f.client,'',!open);cell(tr,f.server,'',!open);cell(tr,f.segment,'',!open);cell(tr,f.party,'',!open);
        if(!open){cell(tr,f.encryption,'',true);cell(tr,f.sni,'',true);}
        cell(tr,f.application,'',!open);cell(tr,f.packets,'n');var b=cell(tr,f.bytesText,'n');b.title=f.bytes+' bytes';
        if(!open){cell(tr,f.rule,'',true);}
        cell(tr,f.findings+(f.credentials?' ['+f.credentials+']':''),'',!open);
        return tr;
      }
      function addFlows(list){
        for(var i=0;i<list.length;i++){var tr=flowRow(list[i],false);tr.id='flow-'+list[i].id;flows.insertBefore(tr,flows.firstChild);}
        while(flows.rows.length>rows)flows.deleteRow(flows.rows.length-1);
        apply();
      }
      function renderFindings(groups){
        var ul=$('findings');ul.textContent='';$('findings-none').hidden=groups.length>0;
        groups.forEach(function(g){
          var li=document.createElement('li'),s=document.createElement('span');s.className='sev '+g.severity;text(s,g.severity);li.appendChild(s);
          var b=document.createElement('b');text(b,g.code);li.appendChild(b);
          li.appendChild(document.createTextNode(' ('+g.party+') ×'+g.count+(g.accepted?', '+g.accepted+' accepted':'')));
          var inner=document.createElement('ul');
          g.latest.forEach(function(e){var x=document.createElement('li');x.className='entry'+(e.acceptance?' accepted':'');x._zones=e.zones;
            var a=document.createElement('a');a.href='#flow-'+e.flow;text(a,'flow '+e.flow);x.appendChild(a);
            x.appendChild(document.createTextNode(': '+e.message+(e.acceptance?' ('+e.acceptance+')':'')));inner.appendChild(x);});
          li.appendChild(inner);ul.appendChild(li);});
      }
      function renderOpen(list){
        var tb=$('open').tBodies[0];tb.textContent='';$('open-none').hidden=list.length>0;
        list.forEach(function(f){tb.appendChild(flowRow(f,true));});
      }
      // Server-rendered, escaped there: the html report's verdict, party cards and SVG.
      function html(el,s){el.innerHTML=s;
        // Inline style attributes are refused by the policy; the same declarations are set through the CSSOM.
        var st=el.querySelectorAll('[style]');for(var i=0;i<st.length;i++)st[i].style.cssText=st[i].getAttribute('style');}
      var es=new EventSource('/events');
      es.onopen=function(){text($('conn'),'live');$('conn').className='meta live';};
      es.onerror=function(){text($('conn'),'disconnected, retrying…');$('conn').className='meta down';};
      es.addEventListener('flows',function(e){addFlows(JSON.parse(e.data));});
      es.addEventListener('boundary',function(e){html($('boundary-box'),e.data);});
      es.addEventListener('dropped',function(e){var d=JSON.parse(e.data),n=$('notice');n.hidden=false;
        text(n,'This page fell behind: '+d.updates+' updates were dropped; flows ended meanwhile may be missing from the table.');});
      es.addEventListener('state',function(e){var s=JSON.parse(e.data);rows=s.rows;
        text($('scenario'),s.scenario);html($('verdict-box'),s.verdict);html($('parties'),s.parties);
        text($('pps'),s.pps);text($('packets'),s.packets);text($('drops'),s.kernelDropped+s.queueDropped);
        text($('kernel'),s.kernelDropped);text($('queue'),s.queueDropped);text($('open-flows'),s.openFlows);text($('ended'),s.flowsEnded);
        renderFindings(s.findings);renderOpen(s.open);apply();});
      apply();
    })();
    """#
}
