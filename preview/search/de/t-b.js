(window.imSearchData=window.imSearchData||{})["de/t-b"]={"forms":{},"terms":{"begruss":[1,3]}};
