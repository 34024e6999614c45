(window.imSearchData=window.imSearchData||{})["de/x-0"]={"texts":["Siehe Abschluss.","Text. Eins. Zwei."]};
